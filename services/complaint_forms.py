"""Forms of complaints: the public report form and the office's step forms (Indonesian)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from kelurahan.models import Office
from services.complaints import ANSWER_MAX, REASON_MAX, TEXT_MAX, TEXT_MIN
from services.documents.cleaning import UploadRejected, inspect_upload
from services.documents.pending import PendingUploadsMixin
from services.models import ComplaintKind
from services.public.complaint_status import application_by_code, offices_for_complaints
from services.validators import normalize_phone

PHOTO_ACCEPT = "image/jpeg,image/png,image/webp,.jpg,.jpeg,.png,.webp"
PENDING_SCOPE = "complaint"  # names the photo kept across a failed public form
NOT_A_PHOTO = "Lampiran pengaduan harus berupa foto (JPG, PNG atau WebP)."


class PhotoField(forms.FileField):
    """One photo, inspected like any upload and decoded by the form once everything else is
    valid (PendingUploadsMixin); kept across a failed submit (services.documents.pending):
    its ``cleaned_data`` is a list of at most one CleanFile, and a photo chosen again
    replaces the kept one."""

    keep_pending = True
    max_files = 1
    replaces_kept = True
    skip_reading = False

    def clean(self, data, initial=None):
        self.accepted = []
        upload = super().clean(data, initial)
        if not upload or self.skip_reading:
            return []
        try:
            inspected = inspect_upload(upload)
        except UploadRejected as exc:
            raise ValidationError(exc.messages) from exc
        if not inspected.is_image:
            raise ValidationError(NOT_A_PHOTO)
        return [inspected]


class ComplaintForm(PendingUploadsMixin, forms.Form):
    office = forms.ModelChoiceField(
        label="Kelurahan",
        queryset=Office.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": "Pilih kelurahan dari daftar."},
    )
    kind = forms.ChoiceField(
        label="Jenis laporan",
        choices=ComplaintKind.choices,
        initial=ComplaintKind.PENGADUAN,
        widget=forms.RadioSelect,
        error_messages={"required": "Pilih jenis laporan."},
    )
    text = forms.CharField(
        label="Isi laporan",
        min_length=TEXT_MIN,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Ceritakan apa yang terjadi, kapan dan di mana. Jangan menulis NIK.",
        error_messages={
            "required": "Tuliskan isi laporan Anda.",
            "min_length": f"Isi laporan terlalu pendek: tulis paling sedikit {TEXT_MIN} huruf.",
            "max_length": f"Isi laporan terlalu panjang: paling banyak {TEXT_MAX} karakter.",
        },
    )
    application_code = forms.CharField(
        label="Kode permohonan yang dilaporkan",
        max_length=24,
        required=False,
        help_text="Bila laporan tentang permohonan Anda: kode di tanda terima, mis. BKS-2611-0042.",
    )
    contact_name = forms.CharField(label="Nama", max_length=120, required=False)
    contact_phone = forms.CharField(
        label="Nomor WhatsApp/telepon",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text="Agar jawaban dikirim kepada Anda. Kosongkan bila ingin melapor tanpa nama.",
    )
    contact_email = forms.EmailField(
        label="Email",
        max_length=254,
        required=False,
        error_messages={"invalid": "Alamat email tidak valid."},
    )
    photo = PhotoField(
        label="Foto pendukung",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT}),
        help_text=(
            "JPG, PNG atau WebP. Bila ada isian lain yang salah, foto yang sudah dipilih "
            "tetap tersimpan; pilih foto lain untuk menggantinya."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        offices = offices_for_complaints()
        self.fields["office"].queryset = offices
        if len(offices) == 1:
            self.fields["office"].initial = offices[0]
            self.fields["office"].widget = forms.HiddenInput()

    def full_clean(self):
        super().full_clean()  # the mixin: the kept photo, or the new one, decoded (and kept)
        if hasattr(self, "cleaned_data") and "photo" in self.cleaned_data:
            photos = self.cleaned_data["photo"] or []
            self.cleaned_data["photo"] = photos[0] if photos else None

    def clean_contact_phone(self) -> str:
        phone = self.cleaned_data["contact_phone"].strip()
        if phone:
            try:
                normalize_phone(phone)
            except ValidationError as exc:
                raise ValidationError(exc.messages) from exc
        return phone

    def clean(self):
        data = super().clean()
        code = (data.get("application_code") or "").strip()
        data["application"] = None
        if code and data.get("office"):
            application = application_by_code(data["office"], code)
            if application is None:
                self.add_error(
                    "application_code",
                    "Kode permohonan itu tidak ditemukan di kelurahan ini. Periksa tanda terima, "
                    "atau kosongkan isian ini.",
                )
            data["application"] = application
        return data


class AssignForm(forms.Form):
    to = forms.ChoiceField(label="Tugaskan kepada", choices=())

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.staff = {str(user.pk): user for user in staff}
        self.fields["to"].choices = [
            (str(user.pk), user.get_full_name() or user.get_username()) for user in staff
        ]

    def clean_to(self):
        return self.staff[self.cleaned_data["to"]]


class DismissForm(forms.Form):
    reason = forms.CharField(
        label="Alasan bukan pengaduan",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Tuliskan alasan mengapa ini bukan pengaduan."},
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label="Jawaban untuk pelapor",
        max_length=ANSWER_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Tampil di halaman status pengaduan dan dikirim ke pelapor bila ada kontaknya.",
        error_messages={"required": "Tuliskan jawaban untuk pelapor."},
    )


class LaporForm(forms.Form):
    lapor_ref = forms.CharField(label="Nomor tiket SP4N-LAPOR!", max_length=40, required=False)


class ComplaintFilterForm(forms.Form):
    state = forms.ChoiceField(
        label="Tampilkan",
        required=False,
        choices=[
            ("", "Belum dijawab (paling mendesak di atas)"),
            ("answered", "Sudah dijawab, belum ditutup"),
            ("done", "Selesai dan bukan pengaduan"),
        ],
    )
