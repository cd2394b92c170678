#include "etl/feed.h"

#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define ENUM(v) v, N(v)

#define REQ FEED_F_REQUIRED
#define IDN FEED_F_IDENTITY
#define DSP FEED_F_DISPLAY
#define ITM FEED_F_ITEM

static const char *const ct_stages[] = { "NONE", "REMINDER",
	"SECOND_REMINDER", "FINAL_NOTICE", "SUMMONS", "LIABILITY_ORDER",
	"ATTACHMENT_OF_EARNINGS", "DEDUCTION_FROM_BENEFIT",
	"ENFORCEMENT_AGENT", "CHARGING_ORDER", "BANKRUPTCY", "COMMITTAL",
	"ARRANGEMENT", "WRITTEN_OFF" };
static const char *const hb_causes[] = { "CLAIMANT_ERROR", "LA_ERROR",
	"DWP_ERROR", "FRAUD" };
static const char *const hb_methods[] = { "NONE", "ONGOING_HB", "INVOICE",
	"DWP_DEDUCTION", "DEA", "RENT_ACCOUNT", "CIVIL" };
static const char *const rent_status[] = { "CURRENT", "FORMER" };
static const char *const rent_stages[] = { "NONE", "ARRANGEMENT",
	"NOSP_SERVED", "COURT_APPLIED", "SUSPENDED_ORDER", "OUTRIGHT_ORDER",
	"WARRANT_APPLIED", "EVICTED" };
static const char *const asc_types[] = { "RESIDENTIAL", "NON_RESIDENTIAL",
	"DEFERRED_PAYMENT" };
static const char *const bs_kinds[] = { "STANDARD", "MENTAL_HEALTH_CRISIS" };
static const char *const bs_events[] = { "START", "DEBT_ADDED", "END",
	"CANCELLED" };
static const char *const bs_debt_types[] = { "COUNCIL_TAX",
	"HOUSING_BENEFIT", "RENT", "ADULT_SOCIAL_CARE", "OTHER" };

static const struct feed_field ct_fields[] = {
	{ "account_ref", FEED_T_REF, REQ, NULL, 0, NULL, 40 },
	{ "party_no", FEED_T_INT, REQ, NULL, 0, NULL, 0 },
	{ "title", FEED_T_TEXT, DSP, NULL, 0, NULL, 40 },
	{ "forename", FEED_T_TEXT, DSP, NULL, 0, NULL, 0 },
	{ "middle_names", FEED_T_TEXT, DSP, NULL, 0, NULL, 0 },
	{ "surname", FEED_T_TEXT, DSP, NULL, 0, NULL, 0 },
	{ "date_of_birth", FEED_T_DOB, IDN, NULL, 0, NULL, 0 },
	{ "uprn", FEED_T_UPRN, IDN, NULL, 0, NULL, 0 },
	{ "address_1", FEED_T_TEXT, DSP, NULL, 0, NULL, 0 },
	{ "address_2", FEED_T_TEXT, DSP, NULL, 0, NULL, 0 },
	{ "address_3", FEED_T_TEXT, DSP, NULL, 0, NULL, 0 },
	{ "address_4", FEED_T_TEXT, DSP, NULL, 0, NULL, 0 },
	{ "postcode", FEED_T_POSTCODE, IDN | DSP, NULL, 0, NULL, 0 },
	{ "financial_year", FEED_T_FY, REQ, NULL, 0, NULL, 0 },
	{ "balance", FEED_T_MONEY, REQ, NULL, 0, NULL, 0 },
	{ "recovery_stage", FEED_T_ENUM, REQ, ENUM(ct_stages), NULL, 0 },
	{ "reminder_date", FEED_T_DATE, 0, NULL, 0, NULL, 0 },
	{ "last_payment_date", FEED_T_DATE, 0, NULL, 0, NULL, 0 },
};

static const struct feed_field hb_fields[] = {
	{ "claim_ref", FEED_T_REF, REQ, NULL, 0, NULL, 40 },
	{ "overpayment_ref", FEED_T_REF, REQ | FEED_F_UNIQUE, NULL, 0, NULL,
	    40 },
	{ "nino", FEED_T_NINO, IDN, NULL, 0, NULL, 0 },
	{ "title", FEED_T_TEXT, DSP, NULL, 0, NULL, 40 },
	{ "forename", FEED_T_TEXT, DSP, NULL, 0, NULL, 0 },
	{ "surname", FEED_T_TEXT, DSP, NULL, 0, NULL, 0 },
	{ "date_of_birth", FEED_T_DOB, IDN, NULL, 0, NULL, 0 },
	{ "uprn", FEED_T_UPRN, IDN, NULL, 0, NULL, 0 },
	{ "address_1", FEED_T_TEXT, DSP, NULL, 0, NULL, 0 },
	{ "address_2", FEED_T_TEXT, DSP, NULL, 0, NULL, 0 },
	{ "address_3", FEED_T_TEXT, DSP, NULL, 0, NULL, 0 },
	{ "address_4", FEED_T_TEXT, DSP, NULL, 0, NULL, 0 },
	{ "postcode", FEED_T_POSTCODE, IDN | DSP, NULL, 0, NULL, 0 },
	{ "overpayment_date", FEED_T_DATE, REQ, NULL, 0, NULL, 0 },
	{ "amount", FEED_T_MONEY, REQ, NULL, 0, NULL, 0 },
	{ "balance", FEED_T_MONEY, REQ, NULL, 0, NULL, 0 },
	{ "cause", FEED_T_ENUM, REQ, ENUM(hb_causes), NULL, 0 },
	{ "recovery_method", FEED_T_ENUM, REQ, ENUM(hb_methods), NULL, 0 },
	{ "weekly_deduction", FEED_T_MONEY, 0, NULL, 0, NULL, 0 },
};

static const struct feed_field rent_fields[] = {
	{ "tenancy_ref", FEED_T_REF, REQ, NULL, 0, NULL, 40 },
	{ "tenant_no", FEED_T_INT, REQ, NULL, 0, NULL, 0 },
	{ "title", FEED_T_TEXT, DSP, NULL, 0, NULL, 40 },
	{ "forename", FEED_T_TEXT, DSP, NULL, 0, NULL, 0 },
	{ "surname", FEED_T_TEXT, DSP, NULL, 0, NULL, 0 },
	{ "date_of_birth", FEED_T_DOB, IDN, NULL, 0, NULL, 0 },
	{ "nino", FEED_T_NINO, IDN, NULL, 0, NULL, 0 },
	{ "uprn", FEED_T_UPRN, IDN, NULL, 0, NULL, 0 },
	{ "address_1", FEED_T_TEXT, DSP, NULL, 0, NULL, 0 },
	{ "address_2", FEED_T_TEXT, DSP, NULL, 0, NULL, 0 },
	{ "address_3", FEED_T_TEXT, DSP, NULL, 0, NULL, 0 },
	{ "address_4", FEED_T_TEXT, DSP, NULL, 0, NULL, 0 },
	{ "postcode", FEED_T_POSTCODE, IDN | DSP, NULL, 0, NULL, 0 },
	{ "tenancy_status", FEED_T_ENUM, REQ, ENUM(rent_status), NULL, 0 },
	{ "weekly_rent", FEED_T_MONEY, 0, NULL, 0, NULL, 0 },
	{ "arrears", FEED_T_MONEY, REQ, NULL, 0, NULL, 0 },
	{ "stage", FEED_T_ENUM, REQ, ENUM(rent_stages), NULL, 0 },
	{ "last_payment_date", FEED_T_DATE, 0, NULL, 0, NULL, 0 },
};

/* Paths are relative to the entity element; "@x" is an attribute and
 * "line[2]" the second <line> among its siblings. */
static const struct feed_field asc_fields[] = {
	{ "extracted", FEED_T_DATE, REQ | FEED_F_HEADER, NULL, 0,
	    "@extracted", 0 },
	{ "client_id", FEED_T_REF, REQ, NULL, 0, "@id", 40 },
	{ "nhs_number", FEED_T_NHS, IDN, NULL, 0, "nhsNumber", 0 },
	{ "title", FEED_T_TEXT, DSP, NULL, 0, "name/title", 40 },
	{ "forename", FEED_T_TEXT, DSP, NULL, 0, "name/forename", 0 },
	{ "surname", FEED_T_TEXT, DSP, NULL, 0, "name/surname", 0 },
	{ "date_of_birth", FEED_T_DOB, IDN, NULL, 0, "dateOfBirth", 0 },
	{ "uprn", FEED_T_UPRN, IDN, NULL, 0, "address/@uprn", 0 },
	{ "address_1", FEED_T_TEXT, DSP, NULL, 0, "address/line[1]", 0 },
	{ "address_2", FEED_T_TEXT, DSP, NULL, 0, "address/line[2]", 0 },
	{ "address_3", FEED_T_TEXT, DSP, NULL, 0, "address/line[3]", 0 },
	{ "address_4", FEED_T_TEXT, DSP, NULL, 0, "address/line[4]", 0 },
	{ "postcode", FEED_T_POSTCODE, IDN | DSP, NULL, 0, "address/postcode",
	    0 },
	{ "invoice_ref", FEED_T_REF, REQ | ITM | FEED_F_UNIQUE, NULL, 0,
	    "invoice/@ref", 40 },
	{ "invoice_type", FEED_T_ENUM, REQ | ITM, ENUM(asc_types),
	    "invoice/@type", 0 },
	{ "issued", FEED_T_DATE, REQ | ITM, NULL, 0, "invoice/@issued", 0 },
	{ "due", FEED_T_DATE, REQ | ITM, NULL, 0, "invoice/@due", 0 },
	{ "amount", FEED_T_MONEY, REQ | ITM, NULL, 0, "invoice/amount", 0 },
	{ "balance", FEED_T_MONEY, REQ | ITM, NULL, 0, "invoice/balance", 0 },
};

static const struct feed_field bs_fields[] = {
	{ "generated", FEED_T_DATETIME, REQ | FEED_F_HEADER, NULL, 0,
	    "@generated", 0 },
	{ "ref", FEED_T_REF, REQ, NULL, 0, "@ref", 40 },
	{ "kind", FEED_T_ENUM, REQ, ENUM(bs_kinds), "@kind", 0 },
	{ "event", FEED_T_ENUM, REQ, ENUM(bs_events), "@event", 0 },
	{ "registered", FEED_T_DATE, REQ, NULL, 0, "@registered", 0 },
	{ "start_date", FEED_T_DATE, REQ, NULL, 0, "@start", 0 },
	{ "end_date", FEED_T_DATE, 0, NULL, 0, "@end", 0 },
	{ "effective_date", FEED_T_DATE, 0, NULL, 0, "@effective", 0 },
	{ "forename", FEED_T_TEXT, DSP, NULL, 0, "debtor/forename", 0 },
	{ "middle_names", FEED_T_TEXT, DSP, NULL, 0, "debtor/middleNames",
	    0 },
	{ "surname", FEED_T_TEXT, DSP, NULL, 0, "debtor/surname", 0 },
	{ "date_of_birth", FEED_T_DOB, IDN, NULL, 0, "debtor/dateOfBirth",
	    0 },
	{ "address_withheld", FEED_T_BOOL, 0, NULL, 0,
	    "debtor/address/@withheld", 0 },
	{ "address_1", FEED_T_TEXT, DSP, NULL, 0, "debtor/address/line[1]",
	    0 },
	{ "address_2", FEED_T_TEXT, DSP, NULL, 0, "debtor/address/line[2]",
	    0 },
	{ "address_3", FEED_T_TEXT, DSP, NULL, 0, "debtor/address/line[3]",
	    0 },
	{ "address_4", FEED_T_TEXT, DSP, NULL, 0, "debtor/address/line[4]",
	    0 },
	{ "postcode", FEED_T_POSTCODE, IDN | DSP, NULL, 0,
	    "debtor/address/postcode", 0 },
	{ "nino", FEED_T_NINO, IDN, NULL, 0, "debtor/nino", 0 },
	{ "creditor_ref", FEED_T_REF, REQ | ITM, NULL, 0, "debt/@creditorRef",
	    40 },
	{ "debt_type", FEED_T_ENUM, REQ | ITM, ENUM(bs_debt_types),
	    "debt/@type", 0 },
	{ "debt_amount", FEED_T_MONEY, REQ | ITM, NULL, 0, "debt/@amount", 0 },
	{ "adviser_organisation", FEED_T_TEXT, DSP, NULL, 0,
	    "adviser/organisation", 0 },
	{ "adviser_reference", FEED_T_TEXT, DSP, NULL, 0, "adviser/reference",
	    0 },
	{ "adviser_phone", FEED_T_TEXT, DSP, NULL, 0, "adviser/phone", 0 },
	{ "reason", FEED_T_TEXT, 0, NULL, 0, "reason", 400 },
};

static const char *const ct_key[] = { "account_ref", "party_no", NULL };
static const char *const hb_key[] = { "claim_ref", NULL };
static const char *const rent_key[] = { "tenancy_ref", "tenant_no", NULL };
static const char *const asc_key[] = { "client_id", NULL };
static const char *const bs_key[] = { "ref", NULL };

static const struct feed_desc feeds[FEED_COUNT] = {
	{ FEED_COUNCIL_TAX, "council_tax", FEED_CSV, "council_tax.csv", NULL,
	    NULL, NULL, NULL, false, ct_fields, N(ct_fields), ct_key },
	{ FEED_HOUSING_BENEFIT, "housing_benefit", FEED_CSV,
	    "housing_benefit.csv", NULL, NULL, NULL, NULL, false, hb_fields,
	    N(hb_fields), hb_key },
	{ FEED_RENT, "rent", FEED_CSV, "rent.csv", NULL, NULL, NULL, NULL,
	    false, rent_fields, N(rent_fields), rent_key },
	{ FEED_ADULT_SOCIAL_CARE, "adult_social_care", FEED_XML,
	    "adult_social_care.xml", "adult_social_care.xsd", "ascDebts",
	    "client", "invoice", true, asc_fields, N(asc_fields), asc_key },
	{ FEED_BREATHING_SPACE, "breathing_space", FEED_XML,
	    "breathing_space.xml", "breathing_space.xsd",
	    "breathingSpaceNotifications", "notification", "debt", false, bs_fields,
	    N(bs_fields), bs_key },
};

const struct feed_desc *
feed_get(enum feed_id id)
{
	return id < FEED_COUNT ? &feeds[id] : NULL;
}

const struct feed_desc *
feed_by_name(const char *name)
{
	for (size_t i = 0; i < FEED_COUNT; i++)
		if (strcmp(feeds[i].name, name) == 0)
			return &feeds[i];
	return NULL;
}

int
feed_field_index(const struct feed_desc *fd, const char *name)
{
	for (size_t i = 0; i < fd->nfields; i++)
		if (strcmp(fd->fields[i].name, name) == 0)
			return (int)i;
	return -1;
}

const char *
feed_type_name(enum feed_type type)
{
	static const char *const names[] = { "text", "ref", "int", "money",
		"date", "dob", "nino", "nhs", "postcode", "uprn", "fy", "enum",
		"bool", "datetime" };

	return (size_t)type < N(names) ? names[type] : "?";
}
