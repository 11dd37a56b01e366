"""Plainly fictional names and the phrases generated records are written with."""

from __future__ import annotations

FIRST_EN = tuple(
    (  # noqa: SIM905 - a list of names reads better as words
        "Avery Blake Cameron Dakota Elliot Finley Harper Jesse Kendall Logan Morgan "
        "Parker Quinn Reese Rowan Skyler Taylor Alex Jordan Casey Emma Olivia Liam Noah "
        "Ava Mason Ethan Chloe Grace Henry Isaac Lily Nora Owen Ruby Samuel Violet Wyatt "
        "Zoe Caleb"
    ).split()
)
FIRST_ES = tuple(
    (  # noqa: SIM905 - a list of names reads better as words
        "Alejandro Ana Carlos Carmen Diego Elena Fernando Gabriela Javier Lucía Luis "
        "María Miguel Paola Rafael Rosa Santiago Sofía Valentina Mateo Isabel Jorge "
        "Marisol Andrés Beatriz Tomás Ximena Ramón Inés Joaquín"
    ).split()
)
LAST_EN = tuple(
    (  # noqa: SIM905 - a list of names reads better as words
        "Abbott Barker Carver Dalton Ellison Fletcher Garrison Holloway Ingram Jennings "
        "Keller Lawson Mercer Norwood Oakley Prescott Quincy Ramsey Sutton Thornton "
        "Underwood Vaughn Whitaker Yates Ashford Bramble Cobb Drummond Everly Fairbanks "
        "Gallagher Hartley Kingsley Langford Marsh Nash Pemberton Radcliffe Sloane Tate "
        "Wexler Brennan Callahan Dunmore Finch Griffin Harlow Lyle Monroe Pryor"
    ).split()
)
LAST_ES = tuple(
    (  # noqa: SIM905 - a list of names reads better as words
        "Acosta Benítez Cárdenas Delgado Escobar Fuentes Guzmán Herrera Ibarra Jiménez "
        "Lozano Medina Navarro Ochoa Peña Quintero Ríos Salazar Torres Valdez Zamora "
        "Aguilar Castillo Espinoza"
    ).split()
)
PRONOUNS = ("she/her", "he/him", "they/them")
STREETS = (
    "Maple Street",
    "Oak Avenue",
    "Cedar Lane",
    "Elm Street",
    "Pine Road",
    "Birch Way",
    "Willow Court",
    "Lakeview Drive",
    "Hillside Avenue",
    "River Road",
    "Calle Sol",
    "Mission Street",
)
REFERRAL_SOURCES = (
    "Self",
    "County hospital",
    "Primary care clinic",
    "School counselor",
    "Court",
    "Family member",
    "Homeless outreach",
    "Emergency department",
)
PRESENTING_NEEDS = (
    "Housing instability and trouble sleeping.",
    "Low mood since losing a job; wants help with benefits.",
    "Anxiety in crowded places; would like to return to school.",
    "Recently discharged from hospital; needs medication follow-up.",
    "Isolated after a move; wants to meet people and find work.",
    "Struggling to keep up with rent and bills; feels overwhelmed.",
    "Using alcohol to sleep; wants to cut down.",
    "Hearing voices at times; medication helps when taken.",
)
CONTACT_RELATIONS = ("Sibling", "Parent", "Friend", "Partner", "Cousin", "Neighbor")

CARE_TEAM_ROLES = ("psychiatrist", "nurse", "therapist", "peer_specialist")
CARE_TEAM_TITLES = {
    "psychiatrist": "Dr. ",
    "nurse": "",
    "therapist": "",
    "peer_specialist": "",
}

# Progress-note sections: a few ways of writing each, "{name}" is the client's first name.
SECTIONS: dict[str, tuple[str, ...]] = {
    "data": (
        "Met with {name}. They described the week, sleep about six hours, kept the "
        "appointment with the housing office.",
        "{name} reported a hard week at home; two arguments with the landlord about repairs.",
        "{name} brought the benefits letter and the pay stubs; we went through the budget.",
        "Talked with {name} about the job search: three applications sent, one interview.",
        "{name} said the new medication makes them drowsy in the morning.",
        "{name} attended the support group twice and described it as helpful.",
    ),
    "assessment": (
        "Mood steadier than last visit; no safety concerns voiced.",
        "Some progress on the housing goal, slower than hoped; motivation is good.",
        "Anxiety higher this week, linked to the court date; coping skills in use.",
        "Engaged and hopeful; sleep is still a concern.",
        "Denies thoughts of self-harm; protective factors unchanged.",
    ),
    "plan": (
        "Call the housing program on Friday; next visit in two weeks.",
        "Follow up with the psychiatrist about side effects; check in by phone next week.",
        "Help complete the SNAP renewal at the next visit.",
        "Practise the breathing exercise daily; review the safety plan next time.",
        "Bring the employment paperwork to the next appointment.",
    ),
    "subjective": (
        "“I'm getting there,” {name} said; worried about the rent.",
        "{name} said they feel “stuck” but want to keep trying.",
        "“Better than last month,” according to {name}.",
        "{name} reports sleeping poorly and skipping breakfast.",
    ),
    "objective": (
        "On time, dressed for the weather, calm, good eye contact.",
        "Arrived late, appeared tired, speech normal, affect flat.",
        "Alert and oriented; engaged throughout the visit.",
        "Restless at first, settled after ten minutes.",
    ),
    "behavior": (
        "{name} arrived early and talked openly about the job search.",
        "{name} was quiet at first and then described a conflict with a roommate.",
        "{name} asked for help reading a letter from the benefits office.",
        "{name} shared a recent success: a full week of taking medication as prescribed.",
    ),
    "intervention": (
        "Practised a short phone script for calling employers; reviewed the budget.",
        "Used motivational interviewing about cutting down on alcohol.",
        "Reviewed the safety plan and updated the list of people to call.",
        "Helped fill in the housing application and made copies of the documents.",
    ),
    "response": (
        "Made one call during the visit and planned two more.",
        "Agreed to try the plan for one week and report back.",
        "Receptive; asked good questions and wrote down the next steps.",
        "Hesitant, but agreed to the referral.",
    ),
    "narrative": (
        "Checked in with {name} about the week. Talked through the medication schedule "
        "and the bus pass. No concerns about safety. Next contact next week.",
        "Phone call with {name} to confirm Tuesday's appointment and the documents to bring.",
        "Home visit with {name}. The apartment is in good order; discussed the lease "
        "renewal and the repair request.",
        "Spoke with {name}'s primary care clinic to coordinate the medication review.",
    ),
}
HOME_LOCATIONS = ("The client's apartment", "The client's home", "Family home", "Shelter")

# Goals by life domain, in the client's own words, then steps and interventions.
GOALS: dict[str, dict[str, tuple[str, ...]]] = {
    "housing": {
        "en": (
            "I want my own apartment somewhere quiet.",
            "I want to keep my apartment and pay rent on time.",
        ),
        "es": ("Quiero tener mi propio apartamento.", "Quiero pagar la renta a tiempo."),
    },
    "employment": {
        "en": ("I want a part-time job I can keep.", "I want to get back to work."),
        "es": ("Quiero un trabajo de medio tiempo.", "Quiero volver a trabajar."),
    },
    "education": {
        "en": ("I want to finish my GED.", "I want to take a computer class."),
        "es": ("Quiero terminar el curso de inglés.", "Quiero sacar mi GED."),
    },
    "income": {
        "en": ("I want my benefits sorted out.", "I want to make a budget and stick to it."),
        "es": ("Quiero arreglar mis beneficios.", "Quiero hacer un presupuesto."),
    },
    "physical_health": {
        "en": ("I want to see a doctor about my back.", "I want to eat better and walk more."),
        "es": ("Quiero ver a un médico.", "Quiero comer mejor y caminar más."),
    },
    "substance_use": {
        "en": ("I want to cut down on drinking.", "I want to stay sober."),
        "es": ("Quiero tomar menos alcohol.", "Quiero mantenerme sobrio."),
    },
    "legal": {
        "en": ("I want to get my court fines settled.",),
        "es": ("Quiero resolver mis multas.",),
    },
    "social_support": {
        "en": ("I want someone to talk to when I feel alone.", "I want to make a friend."),
        "es": ("Quiero tener a alguien con quien hablar.", "Quiero hacer amigos."),
    },
    "transportation": {
        "en": ("I want to get to my appointments on my own.",),
        "es": ("Quiero llegar a mis citas por mi cuenta.",),
    },
    "daily_living": {
        "en": ("I want to keep my place clean and cook for myself.",),
        "es": ("Quiero cocinar y mantener mi casa limpia.",),
    },
    "mental_health": {
        "en": (
            "I want to feel less down most days.",
            "I want to sleep through the night.",
            "I want to feel less anxious when I go out.",
        ),
        "es": ("Quiero sentirme menos triste.", "Quiero dormir toda la noche."),
    },
}
OBJECTIVES = (
    "Go to the orientation session",
    "Fill in two applications",
    "Attend every appointment this month",
    "Track progress on a weekly chart",
    "Call the program once a week",
    "Walk 20 minutes, three days a week",
    "Save $50 a month",
)
INTERVENTIONS = (
    ("Case management and help with applications", "Case manager", "Weekly"),
    ("Medication management", "Psychiatrist", "Monthly"),
    ("Individual therapy (CBT)", "Therapist", "Weekly"),
    ("Peer support group", "Peer specialist", "Every two weeks"),
    ("Budgeting sessions", "Case manager", "Every two weeks"),
    ("Referral and follow-up", "Case manager", "Once"),
)
PROGRESS_COMMENTS = (
    "Steady progress.",
    "A setback this month, back on track.",
    "Started the first step.",
    "Nearly there.",
    "No change yet.",
    None,
)

REFERRAL_REASONS = (
    "Needs help with {category}; agreed to a referral.",
    "Asked for a {category} program close to home.",
    "Follow-up on the needs assessment: {category}.",
)
REFERRAL_OUTCOMES = (
    "Enrolled; attends regularly.",
    "Seen once; services in place.",
    "Completed the program.",
)
REFERRAL_CLOSE_NOTES = (
    "Client changed their mind.",
    "Program full; waiting list closed.",
    "Not eligible.",
)

PAPERWORK = (
    ("disability", "SSI application", ("Birth certificate copied", "Medical records requested")),
    ("insurance", "Renew Medicaid", ("Proof of income gathered", "Renewal form sent")),
    ("housing", "Supportive-housing application", ("Application filled in", "References")),
    ("release", "Release of information for the primary care clinic", ("Signed",)),
    ("follow_up", "Call about the food bank hours", ()),
    ("other", "Replace the lost ID card", ("Appointment at the DMV",)),
    ("follow_up", "Check on the bus pass", ()),
    ("insurance", "SNAP recertification", ("Interview booked",)),
)
APPOINTMENT_NOTES = (
    "Bring your benefits letter and your bus pass.",
    "Bring your medication list.",
    None,
    None,
)
CANCEL_REASONS = ("Client unwell", "Staff sick", "Transport fell through", "Rescheduled")

THREAD_SUBJECTS = {
    "en": (
        "Question about my appointment",
        "Housing application",
        "Medication refill",
        "Bus pass",
        "Benefits letter",
        "Checking in",
    ),
    "es": ("Pregunta sobre mi cita", "Solicitud de vivienda", "Medicamentos", "Pase de autobús"),
}
CLIENT_MESSAGES = {
    "en": (
        "Hi, can we move Tuesday's appointment to the afternoon?",
        "I got a letter from the housing office, what do I do with it?",
        "Thank you for the help last week.",
        "I ran out of my medication, who should I call?",
        "Is the group still on Thursday?",
    ),
    "es": (
        "Hola, ¿podemos cambiar la cita del martes?",
        "Recibí una carta de la oficina de vivienda.",
        "Gracias por la ayuda.",
        "Se me acabó el medicamento, ¿a quién llamo?",
    ),
}
TEAM_MESSAGES = (
    "Yes, 2 pm works. See you then.",
    "Please bring the letter to our next visit and we will go through it together.",
    "You're welcome! Keep it up.",
    "Call the clinic at 555-0102; I let them know you will call.",
    "Yes, Thursday at 4 pm as usual.",
)

CRISIS_WHAT = (
    "Called the crisis line late at night, overwhelmed after an eviction notice.",
    "Family called: not eating or sleeping for three days, talking about giving up.",
    "Came to the office distressed after a fight with a partner.",
)
SAFETY_ITEMS: dict[str, tuple[str, ...]] = {
    "warning_signs": ("Not sleeping for two nights", "Skipping meals", "Staying in bed all day"),
    "coping": ("Walk around the block with music", "Cold water on my face, slow breathing"),
    "distraction": ("The public library", "Coffee with a neighbor"),
    "help_people": ("My sister", "A friend from the group"),
    "professionals": ("My case manager", "988 Suicide & Crisis Lifeline"),
    "safe_environment": ("A friend keeps my extra medication",),
    "reasons": ("My kids", "My dog", "Finishing school"),
}
