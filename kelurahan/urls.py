from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kelurahan import views
from kelurahan.forms import LoginForm

admin.site.site_header = "Administrasi Portal Layanan Kelurahan"
admin.site.site_title = "Admin Portal Kelurahan"
admin.site.index_title = "Pengaturan"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "masuk/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("keluar/", auth_views.LogoutView.as_view(), name="logout"),
    path("wilayah/", views.territory, name="territory"),
    path("", include("services.urls")),
    path("", include("verification.urls")),
    path("healthz", views.health, name="health"),
    path("admin/", admin.site.urls),
]
