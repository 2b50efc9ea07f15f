"""Supervisor review of responses that need attention: the queue, cases, exports."""
