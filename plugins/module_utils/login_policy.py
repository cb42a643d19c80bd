# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The login policy of managed settings, and the gateway credentials it does not allow.

Python standard library only: this file is shipped to every target, and the controller uses it too.

A managed ``forceLoginMethod`` of ``claudeai`` or ``console``, or a managed ``forceLoginOrgUUID``, asks for a
first-party login; Claude Code then refuses to start when a gateway credential (``apiKeyHelper``,
``ANTHROPIC_AUTH_TOKEN``, ``ANTHROPIC_API_KEY``) is set ("managed settings require a first-party login",
claude-code issue #61180). ``forceLoginMethod: gateway`` is the gateway sign-in, where developers sign in at the
gateway (``forceLoginGatewayUrl``) and no credential is distributed: it allows them. See docs/settings.md, "Login
policy".
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

FIRST_PARTY_METHODS = ('claudeai', 'console')
GATEWAY_METHOD = 'gateway'
# Key paths of the gateway credentials a first-party login policy blocks, in the order messages name them.
GATEWAY_CREDENTIALS = (('apiKeyHelper',), ('env', 'ANTHROPIC_AUTH_TOKEN'), ('env', 'ANTHROPIC_API_KEY'))


def login_policy(managed_doc):
    """The managed keys that ask for a first-party login, as words (``forceLoginMethod 'console'``); [] for none.

    ``managed_doc`` is the merged managed settings. ``forceLoginMethod: gateway`` (the gateway sign-in) asks for
    none, also together with ``forceLoginOrgUUID``; a value the client does not know is dropped by the client, and
    here too.
    """
    if not isinstance(managed_doc, dict):
        return []
    method = managed_doc.get('forceLoginMethod')
    if method == GATEWAY_METHOD:
        return []
    found = []
    if method in FIRST_PARTY_METHODS:
        found.append("forceLoginMethod '%s'" % method)
    org = managed_doc.get('forceLoginOrgUUID')
    if (isinstance(org, str) and org) or (isinstance(org, list) and org):
        found.append('forceLoginOrgUUID')
    return found


def gateway_credentials(doc):
    """The gateway credentials a settings document sets (non-empty values), as key paths in display form."""
    found = []
    for keys in GATEWAY_CREDENTIALS:
        node = doc
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        if node not in (None, ''):
            found.append('.'.join(keys))
    return found


def login_policy_conflict(managed_doc, doc):
    """Why Claude Code would refuse to start for an account, as one plain sentence; None when it would not.

    ``managed_doc``: the merged managed settings of the machine (``managed-settings.json``, then
    ``managed-settings.d/*.json`` in name order: scalars last wins, objects merged), or ``{}``.
    ``doc``: the account's resulting settings document (its user, project or local file as it will be written), or the
    managed settings themselves (pass the same document twice). Both are plain dicts; neither is changed.

    The answer names the policy keys and the credentials' key paths, never a value.
    """
    policy = login_policy(managed_doc)
    if not policy:
        return None
    found = gateway_credentials(doc)
    if doc is not managed_doc:
        found.extend('%s (in the managed settings)' % path for path in gateway_credentials(managed_doc) if path not in found)
    if not found:
        return None
    return ('the managed settings ask for a first-party login (%s), and a gateway credential is set (%s): Claude Code '
            'would refuse to start ("managed settings require a first-party login"). Leave the credential out for these '
            "accounts, or use the gateway sign-in (managed forceLoginMethod 'gateway' with forceLoginGatewayUrl) instead."
            % (' and '.join(policy), ', '.join(found)))
