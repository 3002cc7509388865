"""Small built-in vocabularies for realistic sample documents (no external data)."""

from __future__ import annotations

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
    "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty", "Mark", "Sandra", "Paul", "Ashley",
    "Steven", "Emily", "Andrew", "Donna", "Joshua", "Michelle", "Oliver", "Amelia", "Harry", "Isla",
    "George", "Ava", "Noah", "Mia", "Lukas", "Hannah", "Mateo", "Sofia", "Pierre", "Chloe",
    "Renee", "Jurgen", "Aisha", "Ravi", "Priya", "Kenji", "Yuki", "Omar", "Fatima", "Ingrid",
)  # fmt: skip

LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White",
    "Harris", "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green",
    "Baker", "Adams", "Nelson", "Carter", "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker",
    "Evans", "Edwards", "Collins", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan", "Cooper",
    "Schmidt", "Fischer", "Weber", "Dubois", "Laurent", "Rossi", "Bianchi", "Novak", "Kowalski", "Patel",
    "Okafor", "Nakamura", "Haddad", "Lindqvist", "O'Brien", "McAllister", "Fitzgerald", "Vasquez",
)  # fmt: skip

COMPANY_ADJECTIVES = (
    "Northern", "Blue", "Golden", "Summit", "Pioneer", "Evergreen", "Silver", "Bright", "Harbor", "Crescent",
    "Atlas", "Apex", "Cedar", "Falcon", "Granite", "Horizon", "Liberty", "Maple", "Orchid", "Quantum",
    "Redwood", "Sterling", "Union", "Vertex", "Coastal", "Keystone", "Meridian", "Riverside", "Oakridge",
    "Pinnacle", "Beacon", "Cobalt", "Ironbridge", "Lakeside", "Highland", "Westfield", "Eastgate", "Nova",
)  # fmt: skip

COMPANY_NOUNS = (
    "Widgets", "Logistics", "Supplies", "Consulting", "Systems", "Foods", "Textiles", "Labs", "Analytics",
    "Printing", "Hardware", "Electrical", "Plumbing", "Design", "Media", "Software", "Engineering",
    "Packaging", "Furniture", "Catering", "Security", "Freight", "Solutions", "Imports", "Tools",
    "Office Supplies", "Cleaning Services", "Marketing", "Construction", "Dynamics", "Networks",
)  # fmt: skip

COMPANY_SUFFIXES = (
    "Ltd", "LLC", "Inc.", "GmbH", "Limited", "Corp.", "PLC", "& Co.", "Group", "Partners", "S.A.", "B.V.",
)  # fmt: skip

SHOP_TYPES = (
    "Bakery", "Coffee House", "Market", "Deli", "Grocers", "Pharmacy", "Hardware", "Books", "Kitchen",
    "Cafe", "Food Hall", "Wine Shop", "Garden Centre", "Convenience Store", "Butchers", "Bistro",
)  # fmt: skip

SHOP_PATTERNS = (
    "{last}'s {shop}", "The {adj} {shop}", "{adj} {shop}", "{last} & {last2} {shop}", "{adj} Mart",
    "{first}'s {shop}",
)  # fmt: skip

STREET_NAMES = (
    "High", "Station", "Main", "Church", "Park", "Victoria", "Green", "Manor", "Mill", "King",
    "Queen", "Oak", "Elm", "Maple", "Cedar", "Lake", "Hill", "Bridge", "Market", "Chapel",
    "Harbour", "Baker", "Water", "Castle", "Spring", "Broad", "Union", "Grove", "Orchard", "Willow",
)  # fmt: skip

STREET_TYPES = ("Street", "Road", "Avenue", "Lane", "Way", "Drive", "Place", "Court", "Boulevard", "Square")

# (city, region/country hint, postcode format); "#" -> digit, "@" -> letter
CITIES_US = (
    ("Springfield", "IL", "#####"), ("Portland", "OR", "#####"), ("Austin", "TX", "#####"),
    ("Madison", "WI", "#####"), ("Denver", "CO", "#####"), ("Raleigh", "NC", "#####"),
    ("Columbus", "OH", "#####"), ("Boise", "ID", "#####"), ("Albany", "NY", "#####"),
)  # fmt: skip
CITIES_UK = (
    ("Manchester", "", "M@ #@@"), ("Leeds", "", "LS# #@@"), ("Bristol", "", "BS# #@@"),
    ("York", "", "YO# #@@"), ("Norwich", "", "NR# #@@"), ("Cardiff", "", "CF## #@@"),
    ("Edinburgh", "", "EH# #@@"), ("Brighton", "", "BN# #@@"),
)  # fmt: skip
CITIES_EU = (
    ("Berlin", "Germany", "#####"), ("Munich", "Germany", "#####"), ("Lyon", "France", "#####"),
    ("Paris", "France", "#####"), ("Rotterdam", "Netherlands", "#### @@"), ("Milan", "Italy", "#####"),
    ("Vienna", "Austria", "####"), ("Dublin", "Ireland", "D## @@##"), ("Ghent", "Belgium", "####"),
)  # fmt: skip

INVOICE_ITEMS = (
    ("Consulting services (hours)", 60, 220), ("Website maintenance", 150, 900), ("Office chairs", 80, 400),
    ("A4 copy paper (box)", 18, 45), ("Toner cartridge", 45, 160), ("Software licence (annual)", 200, 2400),
    ("Delivery charge", 10, 90), ("Installation labour", 40, 120), ("Network switch 24-port", 180, 650),
    ("Laptop stand", 25, 70), ("Cleaning service (monthly)", 250, 1200), ("Graphic design", 300, 2500),
    ("Cloud hosting (monthly)", 50, 800), ("Training workshop", 400, 3000), ("Safety boots", 45, 140),
    ("Printed brochures (x500)", 120, 600), ("Catering for 20 people", 180, 900), ("Tax advisory (hours)", 90, 250),
    ("Spare parts kit", 30, 300), ("Steel brackets", 2, 15), ("LED panel light", 22, 95),
    ("Packaging tape (case)", 20, 60), ("Extended warranty", 60, 400), ("Travel expenses", 40, 700),
    ("Data migration", 500, 4000), ("Total care support plan", 100, 900), ("Legal review", 250, 1500),
    ("Translation (per page)", 25, 60), ("Equipment rental (day)", 75, 450), ("Fuel surcharge", 5, 80),
)  # fmt: skip

RECEIPT_ITEMS = (
    ("Latte", 2.5, 4.5), ("Cappuccino", 2.5, 4.2), ("Croissant", 1.5, 3.2), ("Sourdough loaf", 3.0, 6.0),
    ("Orange juice 1L", 1.8, 3.9), ("Milk 2L", 1.2, 2.6), ("Free range eggs x6", 2.0, 3.8),
    ("Bananas 1kg", 0.9, 2.2), ("Cheddar 400g", 3.0, 6.5), ("Pasta 500g", 0.8, 2.4), ("Olive oil", 4.0, 11.0),
    ("Paracetamol 16", 1.0, 3.5), ("Toothpaste", 1.5, 4.0), ("Notebook A5", 2.0, 7.0), ("AA batteries x4", 3.0, 8.0),
    ("Screws assorted", 2.0, 9.0), ("Paint brush set", 4.0, 15.0), ("Red wine 75cl", 6.0, 25.0),
    ("Chicken breast", 4.0, 9.0), ("Tomatoes 500g", 1.0, 2.8), ("Sandwich", 3.0, 6.5), ("Soup of the day", 3.5, 7.0),
    ("Herbal tea", 2.0, 3.8), ("Chocolate bar", 0.8, 2.5), ("Magazine", 3.0, 7.5), ("Houseplant", 6.0, 25.0),
)  # fmt: skip

FORM_TITLES = (
    "Membership Application Form", "Employment Application", "Change of Address Form", "Customer Registration Form",
    "Vehicle Parking Permit Application", "Library Card Application", "Insurance Claim Form",
    "Supplier Onboarding Form", "Volunteer Application Form", "Equipment Loan Request",
)  # fmt: skip

FORM_SECTIONS = (
    "Personal details",
    "Contact information",
    "Application details",
    "Declaration",
    "Additional information",
)

OCCUPATIONS = (
    "Accountant", "Nurse", "Software Engineer", "Teacher", "Electrician", "Pharmacist", "Architect",
    "Chef", "Student", "Civil Servant", "Graphic Designer", "Sales Manager", "Retired",
)  # fmt: skip

MEMBERSHIP_TYPES = ("Standard", "Premium", "Family", "Student", "Corporate", "Senior")
NATIONALITIES = ("British", "American", "German", "French", "Irish", "Italian", "Dutch", "Spanish", "Canadian")
DEPARTMENTS = ("Finance", "Operations", "Human Resources", "Marketing", "IT Services", "Facilities", "Procurement")
