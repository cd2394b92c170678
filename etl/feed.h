/*
 * feed: the five canonical feed layouts, as tables. Each feed lists its
 * canonical fields with a type, flags and, for XML feeds, the default
 * path of the element or attribute that holds it. Everything downstream
 * (configuration, readers, validation, summaries) indexes fields by their
 * position in these tables, so adding a column is one line here.
 *
 * XML feeds are read one entity element at a time (<client>,
 * <notification>); an entity holds repeated item elements (<invoice>,
 * <debt>) whose fields carry FEED_F_ITEM. CSV feeds have no items.
 */
#ifndef SVOD_FEED_H
#define SVOD_FEED_H

#include <stdbool.h>
#include <stddef.h>

enum feed_id {
	FEED_COUNCIL_TAX,
	FEED_HOUSING_BENEFIT,
	FEED_RENT,
	FEED_ADULT_SOCIAL_CARE,
	FEED_BREATHING_SPACE,
	FEED_COUNT
};

enum feed_layout { FEED_CSV, FEED_XML };

enum feed_type {
	FEED_T_TEXT,	  /* free text: names, address lines */
	FEED_T_REF,	  /* a source reference: printable, no spaces inside */
	FEED_T_INT,	  /* a small positive integer (party number) */
	FEED_T_MONEY,	  /* pounds with up to two decimals, to pence */
	FEED_T_DATE,	  /* a calendar date */
	FEED_T_DOB,	  /* a date of birth: also not future, not before 1900 */
	FEED_T_NINO,	  /* National Insurance number */
	FEED_T_NHS,	  /* NHS number, modulus 11 */
	FEED_T_POSTCODE,  /* UK postcode, canonicalised */
	FEED_T_UPRN,	  /* unique property reference number */
	FEED_T_FY,	  /* financial year "2024/25" */
	FEED_T_ENUM,	  /* one of a fixed list of upper-case words */
	FEED_T_BOOL,	  /* "true" or "false" */
	FEED_T_DATETIME	  /* "YYYY-MM-DDThh:mm:ssZ" (kept as text) */
};

/* Field flags. */
#define FEED_F_REQUIRED	 (1u << 0) /* missing or invalid: reject */
#define FEED_F_IDENTITY	 (1u << 1) /* invalid: warn, set missing, keep */
#define FEED_F_ITEM	 (1u << 2) /* belongs to a repeated item element */
#define FEED_F_UNIQUE	 (1u << 3) /* must be unique within the file */
#define FEED_F_HEADER	 (1u << 4) /* an attribute of the XML root */
#define FEED_F_DISPLAY	 (1u << 5) /* shown to advisers (contact data) */

struct feed_field {
	const char *name;		/* canonical name, lower case */
	enum feed_type type;
	unsigned flags;			/* FEED_F_* */
	const char *const *values;	/* FEED_T_ENUM: allowed words */
	size_t	 nvalues;
	const char *xml_path;		/* XML feeds: default path, see xmlin.h */
	unsigned max_len;		/* bytes after trimming; 0: 200 */
};

struct feed_desc {
	enum feed_id id;
	const char *name;		/* "council_tax" */
	enum feed_layout layout;
	const char *file;		/* default file name in the inbox */
	const char *xsd;		/* XML: schema under schemas/feeds/ */
	const char *root;		/* XML: root element */
	const char *entity;		/* XML: element read as one record */
	const char *item;		/* XML: repeated element in an entity */
	bool	 item_is_record;	/* each item is one debt line (ASC
					   invoices); else items belong to
					   the entity's record (BS debts) */
	const struct feed_field *fields;
	size_t	 nfields;
	const char *const *key;		/* source key: field names joined by ':' */
};

/* The descriptor of feed 'id'. Never NULL for id < FEED_COUNT. */
const struct feed_desc *feed_get(enum feed_id id);
/* The descriptor named 'name' ("rent"), or NULL. */
const struct feed_desc *feed_by_name(const char *name);
/* Index of the field called 'name' in 'fd', or -1. */
int	 feed_field_index(const struct feed_desc *fd, const char *name);
/* Name of a field type, for documentation and messages. */
const char *feed_type_name(enum feed_type type);

#endif
