"""Survey answers in bulk for benchmarks, made with set-wise SQL on PostgreSQL.

    from survey_data import generate
    generate(cursor, responses=1_000_000)

On a migrated database (seeded agencies and default survey), it adds 50
complaint types over 10 agencies, 200 resolution descriptions with 3 versions
each, and per invitation: a closed service request, the notice of what its
resident was told (the description's version current on that day), a sent
invitation with its message (delivered, 1 in 40 bounced) and, for 4 in 5, a
response. Invitations are spread over 2025 in New York time; 1 in 50 is
simulated. Values follow fixed arithmetic on the row number, so every run makes
the same data. Ids and request numbers start at 500,000,000.
"""

FIRST_KEY = 500_000_000
AGENCIES = 10
TYPES_PER_AGENCY = 5
DESCRIPTIONS_PER_TYPE = 4
VERSIONS = 3
LANGUAGES = ["en", "es", "zh-hans", "ru", "bn", "ht", "ko", "ar", "ur", "fr", "pl"]
OUTCOMES = ["fixed", "no_violation", "no_access", "referred", "duplicate"]


def generate(cursor, *, responses: int) -> int:
    """Make `responses` answered invitations (and a quarter as many unanswered)."""
    invitations = responses * 5 // 4
    cursor.execute(
        "SELECT code FROM agencies_agency ORDER BY code LIMIT %s", [AGENCIES]
    )
    agencies = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        "SELECT id FROM surveys_surveyversion WHERE status = 'published' LIMIT 1"
    )
    survey_version = cursor.fetchone()[0]
    types = len(agencies) * TYPES_PER_AGENCY
    descriptions = types * DESCRIPTIONS_PER_TYPE

    cursor.execute(
        """
        INSERT INTO agencies_complainttype (id, agency_id, name)
        SELECT %(first)s + t, (%(agencies)s::text[])[1 + t %% %(n_agencies)s],
               'Complaint type ' || t
        FROM generate_series(0, %(types)s - 1) t
        """,
        {
            "first": FIRST_KEY,
            "agencies": agencies,
            "n_agencies": len(agencies),
            "types": types,
        },
    )
    # Description d belongs to complaint type d % types (and that type's agency).
    cursor.execute(
        """
        INSERT INTO resolutions_resolutiondescription
               (id, agency_id, title, outcome, created_at, is_example)
        SELECT %(first)s + d,
               (%(agencies)s::text[])[1 + (d %% %(types)s) %% %(n_agencies)s],
               'Description ' || d,
               (%(outcomes)s::text[])[1 + d %% %(n_outcomes)s], now(), false
        FROM generate_series(0, %(descriptions)s - 1) d
        """,
        {
            "first": FIRST_KEY,
            "agencies": agencies,
            "n_agencies": len(agencies),
            "types": types,
            "outcomes": OUTCOMES,
            "n_outcomes": len(OUTCOMES),
            "descriptions": descriptions,
        },
    )
    cursor.execute(
        """
        INSERT INTO resolutions_descriptionversion
               (id, description_id, number, status, is_legacy, text, sms_text,
                change_note, created_at, revision)
        SELECT %(first)s + d * %(versions)s + v - 1, %(first)s + d, v,
               CASE WHEN v = %(versions)s THEN 'published' ELSE 'retired' END,
               v = 1, 'Version ' || v, '', '', now(), 0
        FROM generate_series(0, %(descriptions)s - 1) d,
             generate_series(1, %(versions)s) v
        """,
        {"first": FIRST_KEY, "versions": VERSIONS, "descriptions": descriptions},
    )
    # The plan of every invitation, from its row number g.
    cursor.execute(
        """
        CREATE TEMPORARY TABLE bench_plan AS
        SELECT g,
               %(first)s + g AS key,
               timestamptz '2025-01-01 05:00+00'
                   + (g::float8 / %(n)s) * interval '365 days'
                   + (g %% 600) * interval '1 minute' AS sent_at,
               (g * 7) %% %(descriptions)s AS d,
               ((g * 13) %% 40) * interval '18 hours' + interval '2 hours' AS ttc,
               CASE WHEN g %% 3 = 0 THEN 'sms' ELSE 'email' END AS channel,
               CASE WHEN (g * 7) %% 100 < 60 THEN 'en'
                    WHEN (g * 7) %% 100 < 80 THEN 'es'
                    ELSE (%(languages)s::text[])[3 + (g %% 9)] END AS language,
               (ARRAY['MANHATTAN', 'BRONX', 'BROOKLYN', 'QUEENS', 'STATEN ISLAND'])
                   [1 + (g / 7) %% 5] AS borough,
               g %% 5 <> 0 AS answered,
               g %% 50 = 0 AS simulated
        FROM generate_series(0, %(n)s - 1) g
        """,
        {
            "first": FIRST_KEY,
            "n": invitations,
            "descriptions": descriptions,
            "languages": LANGUAGES,
        },
    )
    cursor.execute(
        """
        INSERT INTO agencies_servicerequest
               (unique_key, status, agency_id, agency_name, complaint_type_id,
                descriptor, additional_details, location_type, incident_zip,
                incident_address, street_name, city, borough, community_board, bbl,
                channel, resolution_text, resolution_description_id, quality_flags,
                raw_values, created_at, closed_at, imported_at, updated_at)
        SELECT p.key, 'Closed', rd.agency_id, '', %(first)s + p.d %% %(types)s,
               '', '', '', '', '', '', '', p.borough, '', '', 'ONLINE', '',
               rd.id, 0, '{}', p.sent_at - interval '1 hour' - p.ttc,
               p.sent_at - interval '1 hour', now(), now()
        FROM bench_plan p
        JOIN resolutions_resolutiondescription rd ON rd.id = %(first)s + p.d
        """,
        {"first": FIRST_KEY, "types": types},
    )
    # The version current when the request closed: 1, 2, 3 across the year.
    cursor.execute(
        """
        INSERT INTO resolutions_resolutionnotice
               (service_request_id, version_id, language, closed_at, recorded_at)
        SELECT p.key,
               %(first)s + p.d * %(versions)s
                   + LEAST(%(versions)s - 1, (p.g * %(versions)s) / %(n)s),
               p.language, p.sent_at - interval '1 hour', p.sent_at - interval '1 hour'
        FROM bench_plan p
        """,
        {"first": FIRST_KEY, "versions": VERSIONS, "n": invitations},
    )
    cursor.execute(
        """
        INSERT INTO surveys_invitation
               (id, service_request_id, channel, status, skip_reason, notes,
                address_digest, language, survey_version_id, token, is_simulated,
                closed_at, created_at, sent_at, expires_at, answered_at)
        SELECT p.key, p.key, p.channel,
               CASE WHEN p.answered THEN 'answered' ELSE 'sent' END, '', '', '',
               p.language, %(survey_version)s, 'bench' || p.g, p.simulated,
               p.sent_at - interval '1 hour', p.sent_at - interval '1 hour',
               p.sent_at, p.sent_at + interval '30 days',
               CASE WHEN p.answered THEN p.sent_at + interval '2 hours' END
        FROM bench_plan p
        """,
        {"survey_version": survey_version},
    )
    cursor.execute(
        """
        INSERT INTO surveys_message
               (invitation_id, purpose, status, send_after, attempts,
                provider_message_id, subject, body, error, updated_at, sent_at,
                delivered_at)
        SELECT p.key, 'invitation',
               CASE WHEN p.g %% 40 = 1 THEN 'bounced' ELSE 'delivered' END,
               p.sent_at, 1, '', '', '', '', p.sent_at, p.sent_at,
               CASE WHEN p.g %% 40 = 1 THEN NULL
                    ELSE p.sent_at + interval '1 minute' END
        FROM bench_plan p
        """,
        {},
    )
    # Satisfaction leans on the outcome and the version, so figures differ.
    cursor.execute(
        """
        INSERT INTO surveys_response
               (invitation_id, survey_version_id, language, channel, satisfaction,
                fixed, wants_reopen, is_complete, is_simulated, submitted_at)
        SELECT p.key, %(survey_version)s, p.language, p.channel,
               25 * LEAST(4, ((p.g * 31) %% 5 + (p.d %% 3) + (p.g * 3) / %(n)s) / 2),
               (ARRAY['yes', 'no', 'not_sure'])[1 + ((p.g * 17) %% 7) %% 3],
               NULL, true, p.simulated, p.sent_at + interval '2 hours'
        FROM bench_plan p
        WHERE p.answered
        """,
        {"survey_version": survey_version, "n": invitations},
    )
    count = cursor.rowcount
    cursor.execute("DROP TABLE bench_plan")
    return count
