# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An LLM gateway (a LiteLLM proxy): what the role fleetcfg.claude_code.litellm owns, checks and writes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import bedrock, vertex
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers.common import (
    AWS_REGION,
    MODEL_ENV,
    PATH_WORD,
    Helper,
    Var,
    common_variables,
    every_account,
    pin_models,
)

NAME = 'litellm'
PREFIX = 'litellm_'
ROUTES = ('unified', 'anthropic', 'bedrock', 'vertex')
ROUTE_SUFFIX = dict(unified='', anthropic='/anthropic', bedrock='/bedrock', vertex='/vertex_ai/v1')
ROOT_URL = re.compile(r'^https?://([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?(/[A-Za-z0-9._~%+-]+)*\Z')
ROUTE_PATH = re.compile(r'/(v1|v1/messages|anthropic|bedrock|vertex_ai|vertex_ai/v1|chat/completions)\Z')
TOKEN_URL = re.compile(r'^https?://[A-Za-z0-9._~:/?#@!&*+,;=%-]+\Z')
HEADER_NAME = re.compile(r'^[A-Za-z0-9-]+\Z')

ROUTE_ENV = ('ANTHROPIC_BASE_URL', 'CLAUDE_CODE_USE_BEDROCK', 'ANTHROPIC_BEDROCK_BASE_URL', 'CLAUDE_CODE_SKIP_BEDROCK_AUTH',
             'AWS_REGION', 'CLAUDE_CODE_USE_VERTEX', 'ANTHROPIC_VERTEX_BASE_URL', 'ANTHROPIC_VERTEX_PROJECT_ID', 'CLOUD_ML_REGION',
             'CLAUDE_CODE_SKIP_VERTEX_AUTH')
AUTH_ENV = ('ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_API_KEY_HELPER_TTL_MS')
# Not written by the role, but it shadows the key helper (the client prefers it): removed with litellm_auth=helper.
SHADOWS_HELPER = ('ANTHROPIC_API_KEY',)
ROLE_ENV = frozenset(ROUTE_ENV + AUTH_ENV + SHADOWS_HELPER + ('ANTHROPIC_CUSTOM_HEADERS', 'CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS')
                     + MODEL_ENV)
ENV = tuple(sorted(ROLE_ENV - set(SHADOWS_HELPER)))

# For settings_info: a gateway has no switch of its own; ANTHROPIC_BASE_URL names it (or, on the bedrock and vertex
# routes, that provider's base URL ending in the route's path), and the client's credential order is measured
# (claude-code-behaviour.md): a static token, then an API key, then the key helper.
SWITCH = None
ENDPOINT = 'ANTHROPIC_BASE_URL'
CREDENTIALS = ('env.ANTHROPIC_AUTH_TOKEN', 'env.ANTHROPIC_API_KEY', 'apiKeyHelper')
ROUTE_ENDPOINTS = dict(bedrock='ANTHROPIC_BEDROCK_BASE_URL', vertex='ANTHROPIC_VERTEX_BASE_URL')


def route_of(env, switched):
    """The pass-through route of this role an account's effective env uses (bedrock, vertex), or None: the provider
    ``switched`` is on and its base URL ends in the route's path on the proxy."""
    name = ROUTE_ENDPOINTS.get(switched)
    url = env.get(name) if name else None
    if isinstance(url, str) and url.rstrip('/').endswith(ROUTE_SUFFIX[switched]):
        return switched
    return None


HELPERS = dict(helper=Helper(None, setting='apiKeyHelper', template='litellm-key-helper.sh.j2', path_var='litellm_helper_path'))
# Without litellm_served_models, a user's own model is kept unless it names another provider's model id.
MODEL_PATTERN = r'(?!(?:%s|%s)\Z)[^\x00-\x1f]+' % (bedrock.MODEL_PATTERN, vertex.DATED_ID)

VARIABLES = common_variables(PREFIX)
VARIABLES.update({
    'litellm_base_url': Var(required=True, expected="the proxy's root URL, such as https://llm-gateway.example.com"),
    'litellm_route': Var(choices=ROUTES),
    'litellm_auth': Var(choices=('static', 'helper')),
    'litellm_static_keys': Var('dict', secret=True),
    'litellm_static_key': Var(secret=True),
    'litellm_helper_source': Var(choices=('file', 'command', 'http')),
    'litellm_helper_key_file': Var(),
    'litellm_helper_command': Var(),
    'litellm_helper_url': Var(),
    'litellm_helper_url_credential_file': Var(),
    'litellm_helper_url_key_field': Var(),
    'litellm_helper_key_lifetime': Var('int'),
    'litellm_helper_refresh_before': Var('int'),
    'litellm_helper_timeout': Var('int'),
    'litellm_helper_ttl_ms': Var('int'),
    'litellm_helper_path': Var(),
    'litellm_key_header': Var(),
    # They become ANTHROPIC_CUSTOM_HEADERS, a secret (auth headers travel there): values never shown.
    'litellm_headers': Var('dict', secret=True),
    'litellm_user_headers': Var('dict', secret=True),
    'litellm_models': Var('dict'),
    'litellm_served_models': Var('list', elements='str'),
    'litellm_aws_region': Var(),
    'litellm_vertex_project_id': Var(),
    'litellm_vertex_region': Var(),
    'litellm_disable_experimental_betas': Var('bool'),
})


def model_pattern(served):
    return '|'.join(re.escape(name) for name in served) if served else MODEL_PATTERN


def _check_route(v, route, root):
    if not ROOT_URL.match(root):
        v.expect('litellm_base_url', 'the proxy root as http(s)://host[:port][/prefix], without query, user info or spaces')
    elif ROUTE_PATH.search(root):
        appends = 'the role appends %s for litellm_route=%s' % (ROUTE_SUFFIX[route] or 'nothing', route) if route else \
            'the role appends the route path'
        v.expect('litellm_base_url', 'the proxy root, without a route path; %s' % appends)
    if route == 'bedrock' and not AWS_REGION.match(v.get('aws_region', '')):
        v.expect('litellm_aws_region', 'an AWS region such as us-east-1 for litellm_route=bedrock')
    if route == 'vertex':
        if not vertex.PROJECT_ID.match(v.get('vertex_project_id', '')):
            v.expect('litellm_vertex_project_id', '%s, for litellm_route=vertex' % vertex.EXPECTED_PROJECT)
        if not vertex.REGION.match(v.get('vertex_region', '')):
            v.expect('litellm_vertex_region', '%s, for litellm_route=vertex' % vertex.EXPECTED_REGION)


def _check_static(v, route):
    if v['scope'] == 'managed':
        v.refuse('litellm_auth', 'static keys cannot go into the managed scope (a file every user can read); use '
                 'litellm_scope=user, or litellm_auth=helper')
    keys = v.get('static_keys', {})
    shared = v.get('static_key', '')
    if v['scope'] == 'user' and every_account(v):
        if keys:
            v.refuse('litellm_static_keys', 'a mapping per account needs litellm_users as a list of account names; with '
                     'litellm_users=all (accounts found on each host) give one key shared by every account '
                     '(litellm_static_key), or use litellm_auth=helper')
        elif not shared:
            v.require('litellm_static_key', 'one key shared by every account, or litellm_auth=helper',
                      ' with litellm_users=all and litellm_auth=static')
    elif v['scope'] == 'user' and not shared:
        for user in v.get('users', []):
            if user not in keys:
                v.problems.append('litellm_static_keys: no key for account %s (expected an entry for every account in '
                                  'litellm_users, or litellm_static_key)' % user)
    for name, key in ([('litellm_static_key', shared)] if shared else []) + sorted(('litellm_static_keys.%s' % u, k) for u, k in keys.items()):
        if not isinstance(key, str) or not key or re.search(r'[\s\x00-\x1f\x7f]', key):
            v.expect(name, 'a non-empty string without spaces or control characters', key)
    if route in ('bedrock', 'vertex') and not v.get('key_header'):
        v.require('litellm_key_header', 'x-litellm-api-key, or the proxy\'s litellm_key_header_name: in Bedrock/Vertex mode '
                  'Claude Code sends no key of its own', ' with litellm_route=%s and litellm_auth=static' % route)


def _check_helper(v, route):
    if v.get('static_key') or v.get('static_keys'):
        v.refuse('litellm_static_keys' if v.get('static_keys') else 'litellm_static_key',
                 'set with litellm_auth=helper; a static token silently shadows the helper: remove it, or use litellm_auth=static')
    if route in ('bedrock', 'vertex'):
        v.refuse('litellm_auth', 'helper does not work with litellm_route=%s: in Bedrock/Vertex mode Claude Code ignores '
                 'apiKeyHelper; use litellm_auth=static with litellm_key_header' % route)
    if v.get('key_header'):
        v.refuse('litellm_key_header', "works with litellm_auth=static only (Claude Code sends a helper's key in x-api-key and "
                 "Authorization, never in a custom header)")
    source = v['helper_source']
    if source == 'command' and not v.get('helper_command'):
        v.expect('litellm_helper_command', 'the shell command that prints the key, for litellm_helper_source=command')
    if source == 'file' and not PATH_WORD.match(v.get('helper_key_file', '')):
        v.expect('litellm_helper_key_file', 'a path (absolute, or relative to the home folder) of letters, digits and . _ / ~ + @ -')
    if source == 'http' and not TOKEN_URL.match(v.get('helper_url', '')):
        v.expect('litellm_helper_url', 'the http(s) URL of the token endpoint, for litellm_helper_source=http')
    credential = v.get('helper_url_credential_file', '')
    if credential and not PATH_WORD.match(credential):
        v.expect('litellm_helper_url_credential_file', 'a path of letters, digits and . _ / ~ + @ -')
    if not re.match(r'^[A-Za-z0-9_.-]+\Z', v.get('helper_url_key_field', '')):
        v.expect('litellm_helper_url_key_field', 'a JSON field name of letters, digits and _ . -')
    lifetime, before = v.get('helper_key_lifetime', 0), v.get('helper_refresh_before', 0)
    if lifetime < 1 or before >= lifetime:
        v.expect('litellm_helper_refresh_before', 'fewer seconds than litellm_helper_key_lifetime (%d)' % lifetime, before)
    if v.get('helper_ttl_ms', 0) < 1000:
        v.expect('litellm_helper_ttl_ms', 'at least 1000 (milliseconds)')


def _check_headers(v):
    header = v.get('key_header', '')
    if header and not HEADER_NAME.match(header):
        v.expect('litellm_key_header', 'an HTTP header name (letters, digits, -)')
    if v['scope'] == 'managed' and (v.get('headers') or v.get('user_headers')):
        v.problems.append('litellm_headers/litellm_user_headers: ANTHROPIC_CUSTOM_HEADERS is a secret and cannot go into the '
                          'managed scope (a file every user can read); use litellm_scope=user')
    named = [('litellm_headers', v.get('headers', {}))]
    users = v.get('users', []) if v['scope'] == 'user' else []
    per_account = v.get('user_headers', {})
    if every_account(v) and per_account and v['scope'] == 'user':
        v.refuse('litellm_user_headers', 'headers per account need litellm_users as a list of account names; with '
                 'litellm_users=all (accounts found on each host) give the headers every account sends in litellm_headers')
        per_account = {}
    for user, headers in sorted(per_account.items()):
        if user not in users:
            v.problems.append('litellm_user_headers: expected accounts of litellm_users (%s), got %s'
                              % (', '.join(users) or 'none', json.dumps(user)))
        elif not isinstance(headers, dict):
            v.expect('litellm_user_headers.%s' % user, 'a mapping from header name to value', headers)
        else:
            named.append(('litellm_user_headers.%s' % user, headers))
    for where, headers in named:
        for name, value in sorted(headers.items()):
            if not HEADER_NAME.match(name):
                v.problems.append('%s: expected header names of letters, digits and -, got %s' % (where, json.dumps(name)))
            elif not isinstance(value, str) or re.search(r'[\x00-\x1f\x7f]', value):
                v.expect('%s.%s' % (where, name), 'a string value without line breaks', value)
            elif header and name.lower() == header.lower():
                v.problems.append('%s.%s: is litellm_key_header, which carries the key; remove it' % (where, name))


def configure(v):
    """Check the inputs (problems go to ``v``) and return what one LiteLLM configuration writes."""
    models = v.get('models', {})
    served = v.get('served_models', [])
    if v['state'] == 'absent':
        # Gateway model names look like anything: only the ones this configuration names are the role's.
        return dict(own_models=model_pattern(served) if served else None, model_values=[models.get('default')])
    route, auth = v['route'], v['auth']
    root = (v['base_url'] or '').rstrip('/')
    if v['base_url'] is not None:
        _check_route(v, route, root)
    if auth == 'static':
        _check_static(v, route)
    elif auth == 'helper':
        _check_helper(v, route)
    _check_headers(v)
    expected = ('a model the gateway serves (litellm_served_models: %s)' % ', '.join(served) if served
                else 'a model name the gateway serves (a string)')
    pins, model_keys = pin_models(v, models, model_pattern(served) if served else r'.+', expected, overrides=False)
    if v.problems:
        return None

    env = dict(v.get('env', {}))
    env.update({
        'unified': {'ANTHROPIC_BASE_URL': root},
        'anthropic': {'ANTHROPIC_BASE_URL': root + '/anthropic'},
        'bedrock': {'CLAUDE_CODE_USE_BEDROCK': '1', 'ANTHROPIC_BEDROCK_BASE_URL': root + '/bedrock',
                    'CLAUDE_CODE_SKIP_BEDROCK_AUTH': '1', 'AWS_REGION': v.get('aws_region')},
        'vertex': {'CLAUDE_CODE_USE_VERTEX': '1', 'ANTHROPIC_VERTEX_BASE_URL': root + '/vertex_ai/v1',
                   'ANTHROPIC_VERTEX_PROJECT_ID': v.get('vertex_project_id'), 'CLOUD_ML_REGION': v.get('vertex_region'),
                   'CLAUDE_CODE_SKIP_VERTEX_AUTH': '1'},
    }[route])
    env.update(pins)
    if auth == 'helper':
        env['CLAUDE_CODE_API_KEY_HELPER_TTL_MS'] = str(v['helper_ttl_ms'])
    if v['disable_experimental_betas']:
        env['CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS'] = '1'
    env = dict((name, str(value)) for name, value in env.items())
    conf = dict(env=env, settings=model_keys, helpers=[], user_env={}, model_pattern=model_pattern(served), endpoint=root)
    if auth == 'helper':
        conf['remove_env'] = list(SHADOWS_HELPER)
        helper = HELPERS['helper']
        conf['helpers'].append(helper.entry(v['helper_path'], template=helper.template))
    for user in (v.get('users', []) if v['scope'] == 'user' else []):
        conf['user_env'][user] = user_env(v, user, route, auth)
    if auth == 'static' and v['scope'] == 'user':
        # A static key makes the user's file a secret: an existing 0644 file becomes 0600 (the module refuses otherwise).
        conf['mode'] = '0600'
    return conf


def user_env(v, user, route, auth):
    """One account's own variables: its key (static) and its custom headers (common, its own, then the key header)."""
    env = {}
    key = (v.get('static_keys', {}).get(user) or v.get('static_key', '')) if auth == 'static' else ''
    if key and route in ('unified', 'anthropic'):
        env['ANTHROPIC_AUTH_TOKEN'] = key
    headers = dict(v.get('headers', {}))
    headers.update(v.get('user_headers', {}).get(user) or {})
    lines = ['%s: %s' % item for item in headers.items()]
    if key and v.get('key_header'):
        lines.append('%s: Bearer %s' % (v['key_header'], key))
    if lines:
        env['ANTHROPIC_CUSTOM_HEADERS'] = '\n'.join(lines)
    return env
