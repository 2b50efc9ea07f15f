from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "Surveys"

    def ready(self) -> None:
        from anymail.signals import tracking

        from surveys.webhooks import receive_tracking_event

        # anymail's interface for delivery reports; the receiver only translates.
        tracking.connect(receive_tracking_event, dispatch_uid="surveys_tracking")
