from kelurahan.access import membership_for, oversight_for


def portal(request):
    """The acting user's membership (or oversight: camat, city supervisor), for the
    navigation and the header."""
    user = getattr(request, "user", None)
    membership = membership_for(user) if user is not None else None
    return {
        "membership": membership,
        "role": membership.role if membership else None,
        "oversight": oversight_for(user) if user is not None and not membership else None,
    }
