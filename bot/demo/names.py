"""Persian names, cities and contact details for demo customers, with the Latin spellings people use
in their email addresses. Tuples, not sets: their order is part of what makes a seed reproducible."""

from __future__ import annotations

# (Persian, Latin transliteration as seen in email addresses)
FEMALE_NAMES: tuple[tuple[str, str], ...] = (
    ("زهرا", "zahra"),
    ("فاطمه", "fatemeh"),
    ("مریم", "maryam"),
    ("نرگس", "narges"),
    ("الهام", "elham"),
    ("نیلوفر", "niloofar"),
    ("مهسا", "mahsa"),
    ("سمیرا", "samira"),
    ("لیلا", "leila"),
    ("پریسا", "parisa"),
    ("شیوا", "shiva"),
    ("هانیه", "hanieh"),
    ("کوثر", "kowsar"),
    ("یگانه", "yeganeh"),
    ("ستاره", "setareh"),
    ("نازنین", "nazanin"),
    ("فرشته", "fereshteh"),
    ("مینا", "mina"),
    ("آزاده", "azadeh"),
    ("ریحانه", "reyhaneh"),
    ("الناز", "elnaz"),
    ("سحر", "sahar"),
    ("مهناز", "mahnaz"),
    ("نگین", "negin"),
    ("ترانه", "taraneh"),
)
MALE_NAMES: tuple[tuple[str, str], ...] = (
    ("علی", "ali"),
    ("محمد", "mohammad"),
    ("حسین", "hossein"),
    ("رضا", "reza"),
    ("مهدی", "mahdi"),
    ("امیر", "amir"),
    ("حمید", "hamid"),
    ("سعید", "saeed"),
    ("مجید", "majid"),
    ("کامران", "kamran"),
    ("بهروز", "behrouz"),
    ("آرش", "arash"),
    ("پویا", "pouya"),
    ("سینا", "sina"),
    ("میلاد", "milad"),
    ("امیرحسین", "amirhossein"),
    ("محمدرضا", "mohammadreza"),
    ("مصطفی", "mostafa"),
    ("احسان", "ehsan"),
    ("فرهاد", "farhad"),
    ("بابک", "babak"),
    ("کیان", "kian"),
    ("یاسین", "yasin"),
    ("ابوالفضل", "abolfazl"),
    ("حامد", "hamed"),
)
LAST_NAMES: tuple[tuple[str, str], ...] = (
    ("رضایی", "rezaei"),
    ("محمدی", "mohammadi"),
    ("حسینی", "hosseini"),
    ("احمدی", "ahmadi"),
    ("کریمی", "karimi"),
    ("موسوی", "mousavi"),
    ("جعفری", "jafari"),
    ("اکبری", "akbari"),
    ("صادقی", "sadeghi"),
    ("رحیمی", "rahimi"),
    ("قاسمی", "ghasemi"),
    ("کاظمی", "kazemi"),
    ("حیدری", "heidari"),
    ("نوری", "nouri"),
    ("مرادی", "moradi"),
    ("عباسی", "abbasi"),
    ("سلطانی", "soltani"),
    ("شریفی", "sharifi"),
    ("زارعی", "zarei"),
    ("طاهری", "taheri"),
    ("یوسفی", "yousefi"),
    ("نجفی", "najafi"),
    ("امینی", "amini"),
    ("فراهانی", "farahani"),
    ("تهرانی", "tehrani"),
    ("بهرامی", "bahrami"),
    ("توکلی", "tavakoli"),
    ("خسروی", "khosravi"),
    ("هاشمی", "hashemi"),
    ("ملکی", "maleki"),
    ("باقری", "bagheri"),
    ("قربانی", "ghorbani"),
    ("میرزایی", "mirzaei"),
    ("نیک‌نام", "niknam"),
    ("صفوی", "safavi"),
    ("جهانگیری", "jahangiri"),
    ("شکوهی", "shokouhi"),
    ("دهقان", "dehghan"),
)

# Cities customers live in, weighted roughly by population and online shopping.
CITIES: tuple[tuple[str, int], ...] = (
    ("تهران", 30),
    ("کرج", 7),
    ("مشهد", 8),
    ("اصفهان", 8),
    ("شیراز", 7),
    ("تبریز", 6),
    ("اهواز", 4),
    ("قم", 3),
    ("رشت", 4),
    ("کرمان", 3),
    ("یزد", 3),
    ("ارومیه", 2),
    ("همدان", 2),
    ("ساری", 2),
)
SHOP_CITY = "تهران"
LOCAL_CITIES = ("تهران", "کرج")  # the shop's own couriers ride here

# Iranian mobile prefixes in use (MCI 091x/099x, Irancell 093x/090x, Rightel 092x).
MOBILE_PREFIXES: tuple[str, ...] = (
    "0912",
    "0919",
    "0935",
    "0936",
    "0937",
    "0938",
    "0939",
    "0901",
    "0902",
    "0903",
    "0990",
    "0991",
    "0921",
    "0922",
    "0930",
    "0933",
    "0910",
    "0911",
    "0913",
    "0914",
    "0915",
    "0917",
)
EMAIL_DOMAINS: tuple[tuple[str, int], ...] = (
    ("gmail.com", 12),
    ("yahoo.com", 4),
    ("outlook.com", 2),
    ("chmail.ir", 1),
)

# The fixed customer testers sign in as (README and the demo-data summary print these).
DEMO_NAME = "سارا احمدی"
DEMO_PHONE = "09121234567"
DEMO_EMAIL = "sara.ahmadi@example.com"
DEMO_SHOP_ID = "u1001"
DEMO_CITY = "اصفهان"
