# Haitian Creole writes dates as French does: 3 janvye 2027.
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "d/m/Y"
