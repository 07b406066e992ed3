from django.utils.cache import add_never_cache_headers, patch_cache_control


class NoStoreForStaffPagesMiddleware:
    """Pages seen by a logged-in user may hold personal data: browsers must not keep them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            add_never_cache_headers(response)
            patch_cache_control(response, no_store=True, private=True)
        return response
