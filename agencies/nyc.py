"""Facts about New York City that the product relies on."""

# NYC agency codes as 311 publishes them, with each agency's full name. Imports
# add any other code they meet, named as the data names it.
AGENCY_NAMES = {
    "ACS": "Administration for Children's Services",
    "DCA": "Department of Consumer Affairs",
    "DCAS": "Department of Citywide Administrative Services",
    "DCWP": "Department of Consumer and Worker Protection",
    "DEP": "Department of Environmental Protection",
    "DFTA": "Department for the Aging",
    "DHS": "Department of Homeless Services",
    "DOB": "Department of Buildings",
    "DOE": "Department of Education",
    "DOF": "Department of Finance",
    "DOHMH": "Department of Health and Mental Hygiene",
    "DOITT": "Department of Information Technology and Telecommunications",
    "DOT": "Department of Transportation",
    "DPR": "Department of Parks and Recreation",
    "DSNY": "Department of Sanitation",
    "EDC": "Economic Development Corporation",
    "FDNY": "Fire Department",
    "HPD": "Department of Housing Preservation and Development",
    "HRA": "Human Resources Administration",
    "NYC311-PRD": "NYC 311",
    "NYCEM": "NYC Emergency Management",
    "NYPD": "New York City Police Department",
    "OOS": "Office of the Sheriff",
    "OTI": "Office of Technology and Innovation",
    "TLC": "Taxi and Limousine Commission",
}
