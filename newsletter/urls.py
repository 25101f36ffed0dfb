from django.urls import path

from . import archive, feeds, views

app_name = "newsletter"
urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/thanks/", views.subscribe_thanks, name="subscribe-thanks"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("preferences/<str:token>/", views.preferences, name="preferences"),
    path("alerts/new/", views.alert_new, name="alert-new"),
    path("alerts/new/thanks/", views.alert_thanks, name="alert-thanks"),
    path("alerts/confirm/<str:token>/", views.alert_confirm, name="alert-confirm"),
    path("issues/", archive.issue_list, name="issues"),
    # Before the issues: an issue slugged "feed" is refused in the admin (issue_admin.py).
    path("issues/feed/", feeds.LatestIssuesFeed(), name="issues-feed"),
    path("issues/<slug:slug>/", archive.IssueDetailView.as_view(), name="issue"),
]
