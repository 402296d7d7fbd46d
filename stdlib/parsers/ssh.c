/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * parsers/ssh.c — SSH identification lines (RFC 4253 §4.2): line assembly
 * across segments, pre-banner lines, field split.
 */
#include "parsers/ssh.h"

#include <errno.h>
#include <string.h>

enum ssh_state {
	H_LINE = 0,     /* assembling a line */
	H_DONE,         /* banner parsed or error: skip */
};

#define X_NAME(id, name) name,
static const char *const ssh_error_names[] = { "none", MOS_SSH_ERRORS(X_NAME) };
#undef X_NAME

const char *mos_ssh_error_name(enum mos_ssh_error e)
{
	return (unsigned)e < MOS_SSH_ERR__COUNT ? ssh_error_names[e] : "?";
}

void mos_ssh_init(struct mos_ssh_dir *s, struct mos_ssh_stats *stats)
{
	memset(s, 0, sizeof(*s));
	s->stats = stats;
	s->state = H_LINE;
}

int mos_ssh_parse_line(const char *line, size_t len, struct mos_ssh_banner *b)
{
	uint64_t off = b->stream_offset;
	uint16_t pre = b->pre_lines;
	memset(b, 0, sizeof(*b));
	b->stream_offset = off;
	b->pre_lines = pre;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len < 4 || memcmp(line, "SSH-", 4) != 0)
		return -EBADMSG;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
			return -EBADMSG;
	const char *p = line + 4, *end = line + len;
	const char *dash = memchr(p, '-', (size_t)(end - p));
	const char *sp = memchr(p, ' ', (size_t)(end - p));
	if (!dash || dash == p || (sp && sp < dash))
		return -EBADMSG;
	size_t n = (size_t)(dash - p);
	if (n > sizeof(b->proto) - 1) {
		n = sizeof(b->proto) - 1;
		b->proto_truncated = true;
	}
	memcpy(b->proto, p, n);
	b->proto_len = (uint16_t)n;
	p = dash + 1;
	const char *sw_end = sp ? sp : end;
	if (sw_end == p)
		return -EBADMSG;
	b->software_len = (uint16_t)(sw_end - p);
	memcpy(b->software, p, b->software_len);
	if (sp) {
		b->comments_len = (uint16_t)(end - sp - 1);
		memcpy(b->comments, sp + 1, b->comments_len);
	}
	return 0;
}

static enum mos_ssh_event ssh_fail(struct mos_ssh_dir *s, enum mos_ssh_error e)
{
	s->error = (uint8_t)e;
	s->state = H_DONE;
	if (s->stats)
		s->stats->errors[e]++;
	return MOS_SSH_ERROR;
}

enum mos_ssh_event mos_ssh_feed(struct mos_ssh_dir *s, const uint8_t *data, size_t len,
				size_t *used)
{
	size_t i = 0;
	enum mos_ssh_event ev = MOS_SSH_NEED_MORE;
	if (!data)
		len = 0;
	while (i < len && ev == MOS_SSH_NEED_MORE) {
		if (s->state == H_DONE) {
			i = len;
			break;
		}
		if (s->line_len == 0)
			s->line_offset = s->offset + i;
		const uint8_t *lf = memchr(data + i, '\n', len - i);
		size_t j = lf ? (size_t)(lf - data) : len;
		size_t n = j - i;
		/* the line without LF may hold at most LINE_MAX - 1 bytes */
		size_t room = (size_t)(MOS_SSH_LINE_MAX - 1 - s->line_len);
		size_t take = n < room ? n : room;
		/* a first line with binary bytes is not SSH: fail early (checked
		 * before the length so any split gives the same outcome) */
		if (s->pre_lines == 0)
			for (size_t k = i; k < i + take; k++)
				if ((data[k] < 0x20 && data[k] != '\r' && data[k] != '\t') ||
				    data[k] == 0x7f) {
					s->offset += k + 1;
					*used = k + 1;
					return ssh_fail(s, MOS_SSH_ERR_NOT_SSH);
				}
		if (n > room) {
			i += room + 1;
			ev = ssh_fail(s, MOS_SSH_ERR_LINE_TOO_LONG);
			break;
		}
		memcpy(s->line + s->line_len, data + i, n);
		s->line_len = (uint16_t)(s->line_len + n);
		i = j;
		if (!lf)
			break;
		i++;        /* the LF */
		if (s->line_len >= 4 && memcmp(s->line, "SSH-", 4) == 0) {
			s->banner.stream_offset = s->line_offset;
			s->banner.pre_lines = s->pre_lines;
			if (mos_ssh_parse_line(s->line, s->line_len, &s->banner) < 0) {
				ev = ssh_fail(s, MOS_SSH_ERR_BAD_BANNER);
				break;
			}
			s->state = H_DONE;
			if (s->stats)
				s->stats->banners++;
			ev = MOS_SSH_BANNER;
			break;
		}
		if (++s->pre_lines > MOS_SSH_MAX_PRE_LINES) {
			ev = ssh_fail(s, MOS_SSH_ERR_NOT_SSH);
			break;
		}
		if (s->stats)
			s->stats->pre_lines++;
		s->line_len = 0;
	}
	s->offset += i;
	*used = i;
	return ev;
}

enum mos_ssh_event mos_ssh_gap(struct mos_ssh_dir *s, uint64_t n)
{
	s->offset += n;
	if (n == 0 || s->state == H_DONE)
		return MOS_SSH_NEED_MORE;
	return ssh_fail(s, MOS_SSH_ERR_GAP);
}
