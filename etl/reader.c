#include "etl/reader.h"

int
reader_open(const struct config_feed *cf, const char *path,
    struct reader **out, struct err *e)
{
	*out = NULL;
	if (cf->desc->layout == FEED_XML)
		return xmlin_open(cf, path, out, e);
	return csvin_open(cf, path, out, e);
}

int
reader_next(struct reader *rd, struct raw_record *rec, struct err *e)
{
	return rd->ops->next(rd, rec, e);
}

uint64_t
reader_bytes(const struct reader *rd)
{
	return rd->bytes;
}

const char *
reader_field_source(const struct reader *rd, size_t i, unsigned *column)
{
	return rd->ops->field_source(rd, i, column);
}

void
reader_close(struct reader *rd)
{
	if (rd != NULL)
		rd->ops->close(rd);
}
