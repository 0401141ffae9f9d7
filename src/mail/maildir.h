// DeliverToMaildir: the transport for `[mail] smarthost = "maildir:PATH"`. Each mail becomes one
// file in a Maildir (new/, readable by mutt, Thunderbird through a local account, or `cat`), for
// trying Vigil out without a mail server and for tests that read what was sent.
#pragma once

#include <string>

#include "core/status.h"

namespace vigil::mail {

/// Writes DATA (CRLF or LF line ends) as one message in the Maildir DIR, which is made (with
/// tmp/, new/ and cur/, mode 0700) when missing. The file starts with `Return-Path: <MAIL_FROM>`
/// and `Delivered-To: RECIPIENT`, as a local delivery agent writes them, and has LF line ends.
/// It is written to tmp/, flushed to disk, then renamed into new/ and the directory flushed: once
/// this returns Ok the message is there after a crash, and a reader never sees half of it.
/// Errors: kUnavailable "maildir DIR: <reason>" (retried like a smarthost that is down).
Status DeliverToMaildir(const std::string& dir, const std::string& mail_from,
                        const std::string& recipient, const std::string& data);

}  // namespace vigil::mail
