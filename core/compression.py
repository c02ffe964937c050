"""Compressed pages (issue 19): Django's GZipMiddleware for text responses only.

BREACH: a compressed response that holds a secret next to text an attacker controls leaks the secret
through its length. Here the only secret in a page is the CSRF token, and Django masks it with a new
random salt in every response (it never repeats in the compressed stream); Django's GZipMiddleware
also adds random padding to every compressed response (« Heal the BREACH »). The session cookie
travels in a header, which is never compressed. PDFs, ZIP archives, spreadsheets and images are
already compressed (or streamed files): they are left as they are. Static files are served
pre-compressed by WhiteNoise, before this middleware."""

from django.middleware.gzip import GZipMiddleware

COMPRESSED_TYPES = ("text/html", "text/csv", "text/plain", "application/json", "application/javascript", "text/css")


class TextGZipMiddleware(GZipMiddleware):
    def process_response(self, request, response):
        content_type = response.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if content_type not in COMPRESSED_TYPES or response.has_header("Content-Disposition"):
            return response
        return super().process_response(request, response)
