from django import forms

from kelurahan.access import rt_for
from kelurahan.limits import NOTE_MAX
from services.forms import ApplicationForm
from services.models import Channel, RequirementKind


class SendToRtForm(forms.Form):
    note = forms.CharField(
        label="Catatan untuk Ketua RT",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    needs_neighbours = forms.BooleanField(label="Perlu kesaksian tetangga", required=False)
    neighbour_reason = forms.CharField(
        label="Alasan perlu tetangga", max_length=240, required=False
    )


class DecisionForm(forms.Form):
    note = forms.CharField(
        label="Catatan", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AttestationForm(forms.Form):
    name = forms.CharField(label="Nama tetangga", max_length=120)
    address = forms.CharField(label="Rumah/alamat", max_length=200)
    relation = forms.CharField(
        label="Hubungan dengan pemohon", max_length=120, help_text="mis. tetangga sebelah rumah"
    )
    statement = forms.CharField(
        label="Keterangan",
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        initial="Benar pemohon tinggal di alamat tersebut.",
    )


class AssistedForm(ApplicationForm):
    """The RT chair's short form: the resident, the service, photos from the phone.

    The RT is the chair's own, the channel is ``assisted`` and the chair is the helper.
    """

    HIDDEN = ("rt", "channel", "assisted_by", "email")
    # One card, phone first: what the chair asks the resident, then how the letter comes back.
    SECTIONS = (
        (
            "",
            (
                "applicant_name",
                "nik",
                "phone",
                "address",
                "purpose",
                "delivery",
                "delivery_address",
            ),
        ),
    )

    def __init__(self, *args, chair, service, **kwargs):
        self.chair = chair
        self.assisted_by_user = chair
        self.chair_rt = rt_for(chair)
        super().__init__(*args, office=self.chair_rt.rw.office, service=service, **kwargs)
        for name in self.HIDDEN:
            del self.fields[name]
        # The chair is not asked for a cover letter from themselves: their approval in the
        # portal stands in for it (unless the office turned that off for the service).
        own_letter = [r for r in self.requirements if r.kind == RequirementKind.RT_COVER_LETTER]
        if not service.rt_approval_replaces_cover_letter:
            own_letter = []
        for requirement in own_letter:
            self.requirements.remove(requirement)
            del self.fields[self.file_field_name(requirement)]

    def clean(self):
        name = self.chair.get_full_name() or self.chair.username
        self.cleaned_data.update(
            rt=self.chair_rt,
            channel=Channel.ASSISTED,
            assisted_by=f"{name} (Ketua {self.chair_rt})",
            email="",
        )
        return super().clean()
