"""A month of survey responses made in SQL, for the publication benchmark.

`generate(connection, responses=N)` fills a migrated, empty database with N
closed requests of March 2025, each told a published resolution description,
invited by email or SMS, delivered (a few bounced) and answered: the default
survey's satisfaction, fixed, explanation and reopen questions, and a comment on
one response in a hundred (approved, redacted). Quasi-identifiers are drawn so
that most combinations are common and some are rare, as in real months: the
rare ones exercise generalisation and withholding. Nothing is done row by row in
Python: each table is one INSERT ... SELECT over generate_series.
"""

import psycopg

MONTH = "2025-03"
_START = "2025-03-01 05:00:00+00"  # midnight in New York

_STATEMENTS = [
    # Six agencies with eight complaint types each.
    """
    INSERT INTO agencies_complainttype (agency_id, name)
    SELECT a.code, 'Complaint type ' || g
    FROM (SELECT code FROM agencies_agency ORDER BY code LIMIT 6) a,
         generate_series(1, 8) g
    """,
    # Four resolution descriptions per agency, one published version each.
    """
    INSERT INTO resolutions_resolutiondescription
        (agency_id, title, outcome, is_example, created_at)
    SELECT a.code, 'Description ' || g,
        (ARRAY['fixed', 'no_violation', 'no_access', 'referred'])[g], false, now()
    FROM (SELECT code FROM agencies_agency ORDER BY code LIMIT 6) a,
         generate_series(1, 4) g
    """,
    """
    INSERT INTO resolutions_descriptionversion
        (description_id, number, status, is_legacy, text, sms_text, change_note,
         created_at, published_at, revision)
    SELECT id, 1, 'published', false, 'We looked into it.', '', '', now(), now(), 1
    FROM resolutions_resolutiondescription
    """,
    # Requests: agency and complaint type skewed towards the first ones.
    """
    CREATE TEMP TABLE bench_pick AS
    SELECT g AS n,
        (SELECT array_agg(code ORDER BY code) FROM
            (SELECT code FROM agencies_agency ORDER BY code LIMIT 6) a)
            [1 + floor(6 * power(random(), 2))::int] AS agency,
        1 + floor(8 * power(random(), 3))::int AS type_number,
        1 + floor(4 * power(random(), 2))::int AS description_number,
        (ARRAY['BRONX', 'BROOKLYN', 'MANHATTAN', 'QUEENS', 'STATEN ISLAND'])
            [1 + floor(5 * power(random(), 1.5))::int] AS borough,
        (ARRAY['en', 'en', 'en', 'en', 'es', 'es', 'zh-hans', 'ru', 'bn', 'ht',
               'ko', 'ar', 'ur', 'fr', 'pl'])[1 + floor(15 * power(random(), 1.3))::int]
            AS language,
        CASE WHEN random() < 0.6 THEN 'email' ELSE 'sms' END AS channel,
        %(start)s::timestamptz + (random() * interval '30 days') AS moment
    FROM generate_series(1, %(responses)s) g
    """,
    """
    INSERT INTO agencies_servicerequest
        (unique_key, created_at, closed_at, status, agency_id, agency_name,
         complaint_type_id, descriptor, additional_details, location_type,
         incident_zip, incident_address, street_name, city, borough,
         community_board, bbl, channel, resolution_text, resolution_description_id,
         quality_flags, raw_values, imported_at, updated_at)
    SELECT 100000000 + p.n, p.moment - interval '2 days', p.moment, 'Closed',
        p.agency, '', ct.id, '', '', '', '10001', p.n || ' BENCH STREET', '', '',
        p.borough, '', '', 'ONLINE', '', d.id, 0, '{}', now(), now()
    FROM bench_pick p
    JOIN agencies_complainttype ct
        ON ct.agency_id = p.agency AND ct.name = 'Complaint type ' || p.type_number
    JOIN resolutions_resolutiondescription d
        ON d.agency_id = p.agency AND d.title = 'Description ' || p.description_number
    """,
    """
    INSERT INTO resolutions_resolutionnotice
        (service_request_id, version_id, language, closed_at, recorded_at)
    SELECT sr.unique_key, v.id, 'en', sr.closed_at, sr.closed_at
    FROM agencies_servicerequest sr
    JOIN resolutions_descriptionversion v
        ON v.description_id = sr.resolution_description_id
    """,
    """
    INSERT INTO surveys_invitation
        (service_request_id, channel, status, skip_reason, notes, address_digest,
         language, survey_version_id, token, is_simulated, closed_at, created_at,
         sent_at, expires_at, answered_at)
    SELECT 100000000 + p.n, p.channel, 'answered', '', '', md5(p.n::text),
        p.language, (SELECT v.id FROM surveys_surveyversion v
                     JOIN surveys_survey s ON s.id = v.survey_id
                     WHERE s.is_default AND v.status = 'published'),
        md5('token' || p.n), false, p.moment, p.moment, p.moment,
        p.moment + interval '30 days', p.moment + interval '1 hour'
    FROM bench_pick p
    """,
    """
    INSERT INTO surveys_message
        (invitation_id, purpose, status, send_after, attempts, provider_message_id,
         subject, body, error, sent_at, updated_at)
    SELECT i.id, 'invitation',
        CASE WHEN i.id %% 50 = 0 THEN 'bounced' ELSE 'delivered' END,
        i.sent_at, 1, '', '', '', '', i.sent_at, i.sent_at
    FROM surveys_invitation i
    """,
    """
    INSERT INTO surveys_response
        (invitation_id, survey_version_id, language, channel, satisfaction, fixed,
         wants_reopen, is_complete, is_simulated, submitted_at)
    SELECT i.id, i.survey_version_id, i.language, i.channel,
        (i.id %% 5) * 25,
        (ARRAY['yes', 'no', 'not_sure'])[1 + i.id %% 3],
        i.id %% 7 = 0, true, false, i.answered_at
    FROM surveys_invitation i
    """,
    """
    INSERT INTO surveys_answer (response_id, question_id, "values", text)
    SELECT r.id, q.id,
        CASE q.key
            WHEN 'satisfaction' THEN jsonb_build_array((ARRAY['strongly_disagree',
                'disagree', 'neutral', 'agree', 'strongly_agree'])[1 + r.id %% 5])
            WHEN 'fixed' THEN jsonb_build_array(r.fixed)
            WHEN 'explanation_clear' THEN jsonb_build_array('agree')
            WHEN 'reopen' THEN jsonb_build_array(
                CASE WHEN r.wants_reopen THEN 'yes' ELSE 'no' END)
        END,
        ''
    FROM surveys_response r
    JOIN surveys_question q ON q.version_id = r.survey_version_id
    WHERE q.key IN ('satisfaction', 'fixed', 'explanation_clear', 'reopen')
    """,
    """
    INSERT INTO surveys_answer (response_id, question_id, "values", text)
    SELECT r.id, q.id, '[]',
        'It took a week, call me at 212-555-0100 about ' || r.id || ' Main St'
    FROM surveys_response r
    JOIN surveys_question q ON q.version_id = r.survey_version_id AND q.key = 'comment'
    WHERE r.id %% 100 = 0
    """,
    """
    INSERT INTO surveys_commentreview (answer_id, redacted_text, status, created_at)
    SELECT a.id, 'It took a week, call me at [phone removed] about [address removed]',
        'approved', now()
    FROM surveys_answer a WHERE a.text <> ''
    """,
    "ANALYZE",
]


def generate(connection: psycopg.Connection, *, responses: int) -> None:
    for statement in _STATEMENTS:
        connection.execute(statement, {"start": _START, "responses": responses})
    connection.commit()
