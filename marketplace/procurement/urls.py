from django.urls import path

from . import feeds, views

urlpatterns = [
    path("", views.RequestListView.as_view(), name="list"),
    path("mine/", views.MyRequestsView.as_view(), name="mine"),
    path("quotes/", views.MyQuotesView.as_view(), name="my-quotes"),
    path("new/", views.RequestCreateView.as_view(), name="create"),
    # Before "<int:pk>/": the published results and their Atom feed.
    path("results/", views.ResultListView.as_view(), name="results"),
    path("results/feed/", feeds.ResultsFeed(), name="results-feed"),
    path("<int:pk>/", views.RequestDetailView.as_view(), name="detail"),
    path("<int:pk>/quote/", views.QuoteView.as_view(), name="quote"),
    path("<int:pk>/choose/", views.ChooseView.as_view(), name="choose"),
    path("<int:pk>/object/", views.ObjectionView.as_view(), name="object"),
    path("<int:pk>/decline/", views.DeclineAwardView.as_view(), name="decline"),
    path("<int:pk>/republish/", views.RepublishView.as_view(), name="republish"),
    path("<int:pk>/quotes/<int:quote_pk>/attachment/", views.QuoteAttachmentView.as_view(), name="attachment"),
    path("objections/", views.ObjectionQueueView.as_view(), name="objections"),
    path("objections/<int:pk>/decide/", views.ObjectionDecideView.as_view(), name="objection-decide"),
]
