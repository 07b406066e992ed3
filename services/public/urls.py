"""The resident's URLs (included by services.urls, so named ``services:public_*``)."""

from django.urls import path

from services.public import standard_views, survey_views, views

urlpatterns = [
    path("s/<str:status_token>/", views.status, name="public_status"),
    path("s/<str:status_token>/surat/", views.letter_download, name="public_letter"),
    path("lacak/", views.lookup_form, name="public_lookup"),
    path("privasi/", views.privacy, name="public_privacy"),
    path("s/<str:status_token>/survei/", survey_views.survey, name="public_survey"),
    path("standar-pelayanan/", standard_views.standard_index, name="public_standard_index"),
    path(
        "standar-pelayanan/<str:service_code>/",
        standard_views.standard_page,
        name="public_standard",
    ),
    path(
        "standar-pelayanan/<str:service_code>/cetak/",
        standard_views.standard_print,
        name="public_standard_print",
    ),
]
