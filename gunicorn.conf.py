"""gunicorn's settings for every gunicorn started in this folder (gunicorn reads
./gunicorn.conf.py by default): its access and error lines go through the portal's masking of
NIK/KK numbers and phone numbers (kelurahan.logs.GunicornLogger), so a NIK typed into a GET
address never reaches the access log."""

logger_class = "kelurahan.logs.GunicornLogger"
