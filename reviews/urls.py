from django.urls import path

from reviews import views

app_name = "reviews"

urlpatterns = [
    path("cpom/revues/", views.region_reviews, name="region"),
    path("cpom/<int:pk>/revues/<int:year>/", views.review_detail, name="review"),
    path("cpom/<int:pk>/revues/<int:year>/compte-rendu.pdf", views.minutes_pdf, name="minutes"),
    path("cpom/<int:pk>/evaluation/", views.evaluation_detail, name="evaluation"),
    path("cpom/<int:pk>/evaluation/rapport.pdf", views.report_pdf, name="report"),
]
