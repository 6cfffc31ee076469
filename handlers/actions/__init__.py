"""Decisions people take, the same from every surface: the chat flows, the CLI and the web
console call these functions and render what they return. No surface checks a permission
on its own.

Every action has the shape ``await action(work, actor, target, ..., input) -> Result``:

- ``work`` (`Work`): the caller's `AsyncSession` (the caller owns the transaction and
  commits it), the content, the message catalogs and the time;
- ``actor`` (`Actor`): who acts (a user id, or the server's command line) and from where;
- the target (an assessment id, an invite id, a staff role id, a certificate code) and the
  input (a reason, adjustments, flagged indicators ...).

An action checks role, scope, state and conflict of interest; writes the domain changes,
the audit rows and the messages to the people concerned (outbox rows, in each person's
language) into the session; and returns a frozen dataclass saying what changed. When it
may not or cannot act it raises `Refused` with a `Reason` code the caller translates; the
refusal's audit row is already in the session, so the caller catches it and still commits.

Modules:

- `review`: `read` (a case, with possible duplicates; audited), `evidence` (audited),
  `queue` (waiting cases in scope, oldest first; audited), `approve` (adjustments,
  `confirm_duplicate`), `return_` (flagged indicators, comment), `reject` (reason), `reopen`
  (reason), `bulk_approve` (the selected that may be approved as they stand);
- `staff`: `join`, `invite`, `invites`, `cancel_invite`, `revoke`, `people` (noted when a
  person reads it), `scope_name`, `manager`/`manages` (who manages which commune), `allow_sole`;
- `units`: `listed`, `add`;
- `populations`: `set_figures`, `import_csv` (all lines or none; `BadFigures` names the
  line), `figures`;
- `audit_log`: `log` (filtered, paged, within the admin's commune; noted when a person
  reads it);
- `certificates`: `revoke` (and `issue`/`withdraw`, parts of approve and reopen);
- `broadcasts`: `reach`, `audience` (a segment's count), `create` (a draft, or scheduled),
  `send` (now or at a time), `pause`, `resume`, `cancel`, `figures`, `history`;
- `console`: `signin_link` (a one-time link to the web console);
- `claims`: `receipts` (fresh claim codes for a unit's people without a chat; audited),
  `for_assisted` (the code of a person whose consent the officer witnessed);
- `paper`: `check` (a paper form's summary and the people already known with its key),
  `enter` / `enter_many` (saved as submissions: update, skip or a new person when known),
  `attach_scan` (the photo of the form as evidence); `staff.allow_sole` lets a scope's only
  officer decide the forms they entered;
- `rules`: role and scope, conflict of interest, who decides a case, duplicates: the one
  place they live.

The actor's scope: a unit's or a commune's officers; an admin of one commune (everything an
admin may do, inside that commune) or of the province; the command line acts for the
province.
"""

from handlers.actions.base import Actor, Reason, Refused, Work

__all__ = ["Actor", "Reason", "Refused", "Work"]
