"""URLs of the benchmark's Django project (copied over testsite/urls.py by bench/run).

One view at `/` answering a small JSON document: the request goes through Django's default
middleware, URL resolver and JsonResponse, and touches no database.
"""

from django.http import JsonResponse
from django.urls import path


def index(request):
    return JsonResponse({"message": "Hello World", "path": request.path})


urlpatterns = [path("", index)]
