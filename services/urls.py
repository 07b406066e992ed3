from django.urls import include, path

from services import access_log_views, chart_views, complaint_views, survey_views, views

app_name = "services"

urlpatterns = [
    path("layanan/", views.catalogue, name="catalogue"),
    path("permohonan/", views.queue, name="queue"),
    path("dasbor/", views.dashboard, name="dashboard"),
    path("dasbor/dokumen-belum-jadi/", views.unrendered_documents, name="unrendered"),
    path("dasbor/<str:office_code>/grafik/", chart_views.charts, name="charts"),
    path(
        "dasbor/<str:office_code>/grafik/<slug:chart>.csv",
        chart_views.chart_csv,
        name="chart_csv",
    ),
    path("notifikasi/", views.notifications, name="notifications"),
    path("notifikasi/baca/", views.notifications_read, name="notifications_read"),
    path("permohonan/baru/", views.application_new, name="application_new"),
    path(
        "permohonan/baru/<str:service_code>/", views.application_create, name="application_create"
    ),
    path(
        "permohonan/baru/<str:service_code>/<slug:variant_code>/",
        views.application_create,
        name="application_create_variant",
    ),
    path("permohonan/<str:code>/", views.application_page, name="application_detail"),
    path(
        "permohonan/<str:code>/tanda-terima/", views.application_receipt, name="application_receipt"
    ),
    path("permohonan/<str:code>/arsipkan/", views.application_archive, name="application_archive"),
    path(
        "permohonan/<str:code>/belum-lengkap/",
        views.application_mark_incomplete,
        name="application_mark_incomplete",
    ),
    path(
        "permohonan/<str:code>/ajukan-ulang/",
        views.application_resubmit,
        name="application_resubmit",
    ),
    path("permohonan/<str:code>/batalkan/", views.application_cancel, name="application_cancel"),
    path("permohonan/<str:code>/terbitkan/", views.application_issue, name="application_issue"),
    path(
        "permohonan/<str:code>/surat-pengganti/",
        views.application_issue_replacement,
        name="application_issue_replacement",
    ),
    path(
        "permohonan/<str:code>/serahkan/", views.application_hand_over, name="application_hand_over"
    ),
    path(
        "permohonan/<str:code>/akses/",
        access_log_views.application_access_log,
        name="application_access_log",
    ),
    path("log-akses/", access_log_views.access_log, name="access_log"),
    path("permohonan/<str:code>/arsip.pdf", views.bundle_pdf, name="bundle_pdf"),
    path("permohonan/<str:code>/surat/<str:token>.pdf", views.letter_pdf, name="letter_pdf"),
    path(
        "permohonan/<str:code>/surat/<str:token>/cabut/", views.letter_revoke, name="letter_revoke"
    ),
    path(
        "permohonan/<str:code>/surat/<str:token>/terbit-ulang/",
        views.letter_reissue,
        name="letter_reissue",
    ),
    path("v/<str:token>/", views.letter_verify, name="letter_verify"),
    path("pesan/belum-terkirim/", views.resident_messages, name="resident_messages"),
    path("pesan/<uuid:uuid>/kirim/", views.resident_message_send, name="resident_message_send"),
    path("", include("services.public.urls")),
    path("", include("services.public.complaint_urls")),
    path("pengaduan/kelola/", complaint_views.complaint_queue, name="complaint_queue"),
    path(
        "pengaduan/kelola/<str:complaint_code>/",
        complaint_views.complaint_detail,
        name="complaint_detail",
    ),
    path(
        "pengaduan/kelola/<str:complaint_code>/foto/",
        complaint_views.complaint_photo,
        name="complaint_photo",
    ),
    path(
        "pengaduan/kelola/<str:complaint_code>/tugaskan/",
        complaint_views.complaint_assign,
        name="complaint_assign",
    ),
    path(
        "pengaduan/kelola/<str:complaint_code>/verifikasi/",
        complaint_views.complaint_verify,
        name="complaint_verify",
    ),
    path(
        "pengaduan/kelola/<str:complaint_code>/bukan-pengaduan/",
        complaint_views.complaint_dismiss,
        name="complaint_dismiss",
    ),
    path(
        "pengaduan/kelola/<str:complaint_code>/jawab/",
        complaint_views.complaint_answer,
        name="complaint_answer",
    ),
    path(
        "pengaduan/kelola/<str:complaint_code>/tutup/",
        complaint_views.complaint_close,
        name="complaint_close",
    ),
    path(
        "pengaduan/kelola/<str:complaint_code>/lapor/",
        complaint_views.complaint_lapor,
        name="complaint_lapor",
    ),
    path(
        "pengaduan/kelola/<str:complaint_code>/publikasi/",
        complaint_views.complaint_publish,
        name="complaint_publish",
    ),
    path("skm/", survey_views.skm_report, name="skm_report"),
    path("skm/laporan.csv", survey_views.skm_report_csv, name="skm_report_csv"),
    path("skm/laporan.pdf", survey_views.skm_report_pdf, name="skm_report_pdf"),
    path("skm/kuesioner-kertas/", survey_views.skm_paper, name="skm_paper"),
    path("permohonan/<str:code>/berkas/", views.attachment_upload, name="attachment_upload"),
    path(
        "permohonan/<str:code>/berkas/terima-semua/",
        views.attachment_accept_all,
        name="attachment_accept_all",
    ),
    path(
        "permohonan/<str:code>/berkas/<uuid:uuid>/", views.attachment_file, name="attachment_file"
    ),
    path(
        "permohonan/<str:code>/berkas/<uuid:uuid>/kecil/",
        views.attachment_file,
        {"thumbnail": True},
        name="attachment_thumbnail",
    ),
    path(
        "permohonan/<str:code>/berkas/<uuid:uuid>/terima/",
        views.attachment_accept,
        name="attachment_accept",
    ),
    path(
        "permohonan/<str:code>/berkas/<uuid:uuid>/tolak/",
        views.attachment_reject,
        name="attachment_reject",
    ),
]
