"""The RT verification queue: VerificationRequest, NeighbourAttestation, the RT chair's pages,
assisted intake, and the RT panel on the officer's case page (``panels``, registered with
``services.case_page`` in ``apps.VerificationConfig.ready``).

Imports ``services`` and ``kelurahan``; nothing imports it but ``bench``.
"""
