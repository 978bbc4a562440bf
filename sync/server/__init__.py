"""The central server: ingest of every kiosk's journal, the authoritative loans, the school
data kiosks pull, and the review inbox; its data layer is SQLAlchemy Core over SQLite or
PostgreSQL. Never imported by the kiosk app."""
