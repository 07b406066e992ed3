from django.urls import path

from services.oversight import views

app_name = "oversight"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("kantor/<str:office_code>/", views.office, name="office"),
    path("permohonan/<str:code>/", views.case, name="case"),
]
