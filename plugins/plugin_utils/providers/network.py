# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The corporate network of every provider role, ``<role>_network``: a proxy, a CA bundle, a client certificate.

One mapping, the same for every provider (keys ``proxy``, ``no_proxy``, ``no_proxy_endpoint``, ``ca_bundle``,
``client_cert``, ``client_key``, ``client_key_passphrase``). A role given the mapping owns every network setting and
file and sets exactly what the mapping names (``{proxy: null}`` takes them all off); a role not given it leaves them
alone, since a developer's own proxy is not the collection's (docs/decisions.md).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_doc import url_has_password
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers.common import Helper

KEYS = ('proxy', 'no_proxy', 'no_proxy_endpoint', 'ca_bundle', 'client_cert', 'client_key', 'client_key_passphrase')
# Which env variable each key sets (the files' variables are set by their helpers).
ENV = ('HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'CLAUDE_CODE_CLIENT_KEY_PASSPHRASE')
HELPERS = dict(
    ca_bundle=Helper('certs/ca-bundle.pem', env='NODE_EXTRA_CA_CERTS', mode='0644'),
    # One set in one folder: a rotation replaces both files at once (the settings module's versioned helpers).
    client_cert=Helper('certs/client/cert.pem', env='CLAUDE_CODE_CLIENT_CERT', mode='0644', versioned=True),
    client_key=Helper('certs/client/key.pem', env='CLAUDE_CODE_CLIENT_KEY', mode='0600', versioned=True),
)
# Every env variable the network options set or point with, for the table of owned keys.
OWNED_ENV = ENV + tuple(helper.env for helper in HELPERS.values())

_HOST = r'(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])'
# The client stops at startup on a proxy without a scheme; user info must be percent-encoded.
PROXY_URL = re.compile(r'^https?://(?:([A-Za-z0-9._~%!$&\'()*+,;=-]+)(?::([A-Za-z0-9._~%!$&\'()*+,;=-]*))?@)?'
                       + _HOST + r'(?::[0-9]{1,5})?/?\Z')
NO_PROXY_ENTRY = re.compile(r'^(?:\*|\.?[A-Za-z0-9*](?:[A-Za-z0-9.*-]*[A-Za-z0-9])?(?::[0-9]{1,5})?|[0-9.]+/[0-9]{1,2}|'
                            r'\[?[0-9A-Fa-f:]+\]?(?:/[0-9]{1,3})?)\Z')
URL_HOST = re.compile(r'^[a-z]+://(?:[^@/]*@)?(\[[^\]]+\]|[^:/]+)')
PEM_BLOCK = re.compile(r'-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----', re.S)
PRIVATE_KEY = re.compile(r'^(?:RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY\Z')


def _blocks(text):
    return PEM_BLOCK.findall(text) if isinstance(text, str) else []


def _encrypted(text):
    return any(kind == 'ENCRYPTED PRIVATE KEY' or 'Proc-Type: 4,ENCRYPTED' in body for kind, body in _blocks(text))


def _check_certificates(v, where, value):
    blocks = _blocks(value)
    if not any(kind == 'CERTIFICATE' for kind, _body in blocks):
        v.expect(where, 'PEM text with at least one -----BEGIN CERTIFICATE----- block', value)
    elif any(PRIVATE_KEY.match(kind) for kind, _body in blocks):
        v.problems.append('%s: holds a private key; certificates only (the file is readable by every account); the key goes '
                          'in client_key' % where)


def configure(v, endpoint):
    """Check ``<prefix>network`` (problems go to ``v``); return dict(env, helpers, secret).

    ``endpoint``: the URL of the provider's gateway, when the role has one (kept out of the proxy with
    ``no_proxy_endpoint``). ``secret``: the written env holds a secret, so the user file must be 0600.
    """
    p = v.prefix + 'network'
    net = v.get('network', {})
    for key in sorted(set(net) - set(KEYS)):
        v.problems.append('%s.%s: not a network option; expected %s' % (p, key, ', '.join(KEYS)))
    managed = v['scope'] == 'managed'
    env, helpers = {}, []
    proxy = net.get('proxy') or ''
    if proxy:
        if not isinstance(proxy, str) or not PROXY_URL.match(proxy):
            v.expect(p + '.proxy', 'http://host:port or https://host:port, optionally with user:password@ (percent-encoded); '
                     'the client stops at startup on a proxy without a scheme', proxy)
        elif url_has_password(proxy) and managed:
            v.problems.append('%s.proxy: carries a password, and a managed drop-in is a file every account can read; use '
                              '%sscope=user (0600 files of each account) or a proxy without a password' % (p, v.prefix))
        else:
            env['HTTPS_PROXY'] = env['HTTP_PROXY'] = proxy
    no_proxy = net.get('no_proxy') or []
    if isinstance(no_proxy, str):
        no_proxy = [item.strip() for item in no_proxy.split(',') if item.strip()]
    if not isinstance(no_proxy, list):
        v.expect(p + '.no_proxy', 'a list of host names, domains (.example.com), IP addresses or networks', no_proxy)
        no_proxy = []
    for i, item in enumerate(no_proxy):
        if not isinstance(item, str) or not NO_PROXY_ENTRY.match(item):
            v.expect('%s.no_proxy[%d]' % (p, i), 'a host name, a domain (.example.com), an IP address or network, or *', item)
    hosts = [item for item in no_proxy if isinstance(item, str)]
    bypass = net.get('no_proxy_endpoint', False)
    if not isinstance(bypass, bool):
        v.expect(p + '.no_proxy_endpoint', 'true or false', bypass)
    elif bypass:
        host = URL_HOST.match(endpoint or '')
        if endpoint is None:
            pass  # the provider's own checks failed: nothing to add
        elif not host:
            v.problems.append("%s.no_proxy_endpoint: needs a gateway URL to keep out of the proxy, and this configuration has "
                              "none (set the role's base URL)" % p)
        elif host.group(1) not in hosts:
            hosts.append(host.group(1))
    if hosts:
        env['NO_PROXY'] = ','.join(hosts)

    if net.get('ca_bundle'):
        _check_certificates(v, p + '.ca_bundle', net['ca_bundle'])
        helpers.append(HELPERS['ca_bundle'].entry(content=_text(net['ca_bundle'])))
    cert, key, passphrase = net.get('client_cert'), net.get('client_key'), net.get('client_key_passphrase')
    if bool(cert) != bool(key):
        v.problems.append('%s: client_cert and client_key go together (mTLS needs both), got only %s'
                          % (p, 'client_cert' if cert else 'client_key'))
    elif cert and managed:
        v.problems.append('%s.client_key: a private key cannot go into the managed scope: every account would have to read it; '
                          'use %sscope=user (a 0600 key file of each account)' % (p, v.prefix))
    elif cert:
        _check_certificates(v, p + '.client_cert', cert)
        blocks = [kind for kind, _body in _blocks(key) if PRIVATE_KEY.match(kind)]
        if len(blocks) != 1 or any(kind == 'CERTIFICATE' for kind, _body in _blocks(key)):
            v.expect(p + '.client_key', 'PEM text with exactly one private key block (-----BEGIN PRIVATE KEY-----)', key)
        elif _encrypted(key) and not passphrase:
            v.require(p + '.client_key_passphrase', 'the passphrase (from a vault)', ' for an encrypted client_key')
        elif passphrase and not _encrypted(key):
            v.problems.append('%s.client_key_passphrase: set, but client_key is not encrypted; remove it' % p)
        helpers.append(HELPERS['client_cert'].entry(content=_text(cert)))
        helpers.append(HELPERS['client_key'].entry(content=_text(key)))
    if passphrase and not cert:
        v.problems.append('%s.client_key_passphrase: only with client_key; remove it' % p)
    elif passphrase and not isinstance(passphrase, str):
        v.expect(p + '.client_key_passphrase', 'a string', passphrase)
    elif passphrase and not managed:
        env['CLAUDE_CODE_CLIENT_KEY_PASSPHRASE'] = passphrase
    return dict(env=env, helpers=helpers, secret=url_has_password(proxy) or bool(passphrase))


def _text(value):
    value = str(value)
    return value if value.endswith('\n') else value + '\n'
