"""The complaint URLs of residents (no login), included by services.urls."""

from django.urls import path

from services.public import complaint_views

urlpatterns = [
    path("pengaduan/", complaint_views.complaint_form, name="complaint_form"),
    path("pengaduan/s/<str:token>/", complaint_views.complaint_status, name="complaint_status"),
    path(
        "pengaduan/daftar/<str:office_code>/",
        complaint_views.complaint_list,
        name="complaint_public_list",
    ),
]
