"""Satisfaction dashboards and the agency report card for supervisors."""
