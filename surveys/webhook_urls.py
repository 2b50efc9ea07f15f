"""The providers' webhooks, under /webhooks/. Configure these URLs at each provider."""

from django.urls import include, path

from surveys import webhooks

urlpatterns = [
    # e.g. /webhooks/anymail/postmark/tracking/ and /webhooks/anymail/mailgun/tracking/
    path(
        "anymail/",
        include((webhooks.anymail_tracking_urls(), "anymail"), namespace="anymail"),
    ),
    path("twilio/status/", webhooks.twilio_status, name="twilio_status"),
    path("twilio/inbound/", webhooks.twilio_inbound, name="twilio_inbound"),
]
