from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kelurahan import account_views, views
from kelurahan.forms import LoginForm
from kelurahan.middleware import second_factor_exempt

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
    path("keluar/", second_factor_exempt(auth_views.LogoutView.as_view()), name="logout"),
    path("masuk/kode/", account_views.second_factor, name="second_factor"),
    path("masuk/kode/daftar/", account_views.second_factor_setup, name="second_factor_setup"),
    path("akun/kata-sandi/", account_views.password_change, name="password_change"),
    path(
        "akun/kata-sandi/selesai/",
        account_views.password_change_done,
        name="password_change_done",
    ),
    path("wilayah/", views.territory, name="territory"),
    path("pengawasan/", include("services.oversight.urls")),
    path("", include("services.urls")),
    path("", include("verification.urls")),
    path("healthz", views.health, name="health"),
    path("admin/", admin.site.urls),
]
