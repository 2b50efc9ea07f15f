# Urdu writes the day before the month: ۳ جنوری ۲۰۲۷ (digits stay Western here,
# as in the site's other texts).
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "d/m/Y"
