from django import forms
from django.contrib.auth.forms import AuthenticationForm

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
