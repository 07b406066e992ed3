from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm

from kelurahan.limits import PASSWORD_MAX


class LoginForm(AuthenticationForm):
    """Django's login form with the labels and messages an officer reads."""

    username = forms.CharField(
        label="Nama pengguna",
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label="Kata sandi",
        strip=False,
        max_length=PASSWORD_MAX,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": "Nama pengguna atau kata sandi salah. Periksa lalu coba lagi.",
        "inactive": "Akun ini tidak aktif. Hubungi admin kelurahan.",
    }


class TokenForm(forms.Form):
    """The six-digit code of the authenticator app."""

    token = forms.CharField(
        label="Kode 6 angka",
        max_length=8,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
            }
        ),
        error_messages={"required": "Isi kode 6 angka dari aplikasi autentikator."},
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].replace(" ", "")
        if not (token.isdigit() and len(token) == 6):
            raise forms.ValidationError("Kode terdiri dari 6 angka, tanpa huruf.")
        return token


class PortalPasswordChangeForm(PasswordChangeForm):
    """Django's password change, with the words an officer reads."""

    # Django's own fields, with a length limit (J63): PBKDF2 over a megabyte is a slow request.
    old_password = forms.CharField(
        strip=False,
        max_length=PASSWORD_MAX,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password1 = forms.CharField(
        strip=False,
        max_length=PASSWORD_MAX,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        strip=False,
        max_length=PASSWORD_MAX,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": "Kata sandi lama salah. Periksa lalu coba lagi.",
        "password_mismatch": "Kedua kata sandi baru tidak sama.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Kata sandi lama"
        self.fields["new_password1"].label = "Kata sandi baru"
        self.fields["new_password1"].help_text = (
            "Paling sedikit 10 karakter, tidak hanya angka, bukan kata sandi umum dan tidak "
            "mirip nama pengguna. Frasa beberapa kata mudah diingat dan sulit ditebak."
        )
        self.fields["new_password2"].label = "Ulangi kata sandi baru"
        self.fields["new_password2"].help_text = ""
