"""What the demo's rows are drawn from: names, industries, event and ticket mixes, and the hours
of the day people work. Tuples that repeat a value weight it (most customers are in the US)."""

INDUSTRIES = (
    "software",
    "fintech",
    "healthcare",
    "retail",
    "manufacturing",
    "education",
    "media",
    "logistics",
)
COUNTRIES = ("US", "US", "US", "GB", "DE", "FR", "CA", "NL", "AU", "SE", "IN", "BR", "JP")
EMPLOYEE_BANDS = ("1-10", "11-50", "51-200", "201-1000", "1000+")
NAME_PREFIXES = (
    "North",
    "Blue",
    "Bright",
    "Iron",
    "Silver",
    "Cedar",
    "Harbor",
    "Summit",
    "Quantum",
    "Atlas",
    "Maple",
    "Granite",
    "Lumen",
    "Vector",
    "Orbit",
    "Pioneer",
    "Crescent",
    "Falcon",
    "Prairie",
    "Coastal",
)
NAME_SUFFIXES = (
    "Analytics",
    "Logistics",
    "Health",
    "Labs",
    "Systems",
    "Retail",
    "Foods",
    "Capital",
    "Learning",
    "Media",
    "Works",
    "Robotics",
    "Energy",
    "Partners",
    "Studios",
)
FIRST_NAMES = (
    "alex",
    "sam",
    "jordan",
    "taylor",
    "morgan",
    "casey",
    "riley",
    "jamie",
    "avery",
    "quinn",
    "maria",
    "li",
    "noah",
    "emma",
    "olivia",
    "liam",
    "ava",
    "lucas",
    "mia",
    "ethan",
    "sofia",
    "yuki",
    "amir",
    "priya",
    "lars",
)
LAST_NAMES = (
    "smith",
    "jones",
    "garcia",
    "miller",
    "davis",
    "martin",
    "lee",
    "walker",
    "hall",
    "young",
    "king",
    "wright",
    "lopez",
    "hill",
    "scott",
    "green",
    "adams",
    "baker",
    "nelson",
    "carter",
    "muller",
    "rossi",
    "tanaka",
    "singh",
    "berg",
)

# event_type -> relative weight among the non-session events of an active day.
EVENT_WEIGHTS: dict[str, float] = {
    "dashboard_viewed": 0.46,
    "report_created": 0.16,
    "report_exported": 0.12,
    "alert_configured": 0.07,
    "api_call": 0.13,
    "user_invited": 0.03,
    "integration_connected": 0.03,
}
API_ENDPOINTS = ("/v1/reports", "/v1/metrics", "/v1/exports", "/v1/alerts")
EVENT_FEATURE: dict[str, str] = {
    "dashboard_viewed": "dashboards",
    "report_created": "reports",
    "report_exported": "exports",
    "alert_configured": "alerts",
    "api_call": "api",
    "user_invited": "admin",
    "integration_connected": "integrations",
}
PLATFORMS = ("web", "web", "web", "web", "ios", "android")
TICKET_PRIORITIES: dict[str, float] = {"low": 0.30, "normal": 0.45, "high": 0.18, "urgent": 0.07}
TICKET_CATEGORIES: dict[str, float] = {
    "how_to": 0.32,
    "bug": 0.26,
    "billing": 0.16,
    "feature_request": 0.16,
    "account_access": 0.10,
}
# priority -> (median first-response hours, median resolution hours after response)
TICKET_TIMINGS: dict[str, tuple[float, float]] = {
    "urgent": (0.6, 6.0),
    "high": (2.5, 20.0),
    "normal": (7.0, 40.0),
    "low": (16.0, 70.0),
}
HOUR_WEIGHTS = (
    1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 9, 8, 9, 10, 10, 9, 7, 5, 4, 3, 2, 2, 1,
)  # fmt: skip
