from django.http import Http404
from django.shortcuts import render

from kelurahan.access import membership_for
from services.selectors import services_for_catalogue


def catalogue(request):
    """Katalog Layanan: each service, what to bring, and the 3-day promise."""
    if membership_for(request.user) is None and not request.user.is_staff:
        raise Http404("Akun ini belum terhubung ke kantor kelurahan.")
    return render(request, "services/catalogue.html", {"services": services_for_catalogue()})
