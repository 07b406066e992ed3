from django.urls import path

from verification import views

app_name = "verification"

urlpatterns = [
    # Officer actions on a case.
    path("permohonan/<str:code>/kirim-rt/", views.send_to_rt, name="send_to_rt"),
    path(
        "permohonan/<str:code>/arsipkan-kirim-rt/",
        views.archive_and_send,
        name="archive_and_send",
    ),
    path("permohonan/<str:code>/koreksi/", views.correct, name="correct"),
    path("permohonan/<str:code>/buka-kembali/", views.reopen, name="reopen"),
    # The Ketua RT's pages.
    path("rt/", views.rt_home, name="rt_home"),
    path("rt/permintaan/<uuid:uuid>/", views.request_page, name="request"),
    path("rt/permintaan/<uuid:uuid>/setujui/", views.approve, name="approve"),
    path("rt/permintaan/<uuid:uuid>/tolak/", views.reject, name="reject"),
    path("rt/permintaan/<uuid:uuid>/kembalikan/", views.return_to_applicant, name="return"),
    path("rt/permintaan/<uuid:uuid>/tetangga/", views.add_attestation, name="attestation"),
    path(
        "rt/permintaan/<uuid:uuid>/berkas/<uuid:attachment_uuid>/",
        views.document,
        name="document",
    ),
    path(
        "rt/permintaan/<uuid:uuid>/berkas/<uuid:attachment_uuid>/kecil/",
        views.document,
        {"thumbnail": True},
        name="document_thumbnail",
    ),
    path("rt/ajukan/", views.assisted_choose, name="assisted_choose"),
    path("rt/ajukan/<str:service_code>/", views.assisted_create, name="assisted_create"),
    path(
        "rt/ajukan/<str:service_code>/<slug:variant_code>/",
        views.assisted_create,
        name="assisted_create_variant",
    ),
    path("rt/terkirim/<str:code>/", views.assisted_done, name="assisted_done"),
]
