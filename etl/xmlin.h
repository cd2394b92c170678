/*
 * xmlin: the XML feed reader, a struct reader (reader.h) over libxml2's
 * streaming xmlTextReader, validating against the feed's XSD as it goes.
 * No whole document is ever held in memory, no entity is loaded or
 * substituted, and a DOCTYPE is refused. Error messages never quote
 * values from the file: only element and attribute names survive.
 *
 * A field's XML path (feed.h, or a [columns] override) is relative to the
 * entity element:
 *
 *   @id                  attribute of the entity itself
 *   nhsNumber            text of a child element
 *   address/@uprn        attribute of a descendant
 *   address/line[2]      the second <line> among its siblings; "line[1]"
 *                        means the same as "line"
 *   invoice/amount       FEED_F_ITEM fields start with the item element
 *                        and are read relative to the current item
 *   @extracted           FEED_F_HEADER fields: an attribute of the root
 *
 * Text is the concatenation of an element's text and CDATA children; an
 * empty element (<line/>) is present with zero bytes.
 */
#ifndef SVOD_XMLIN_H
#define SVOD_XMLIN_H

#include "etl/reader.h"

/* Longest element path inside one entity, in bytes (ERR_LIMIT past it). */
#define XMLIN_MAX_PATH	512

/*
 * Open 'path' as XML feed 'cf' (see reader.h for the contract). A NULL
 * cf->schema skips validation; a schema that cannot be read or compiled
 * returns ERR_CONFIG naming it.
 */
int	 xmlin_open(const struct config_feed *cf, const char *path,
	    struct reader **out, struct err *e);

#endif
