# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Google Vertex AI: what the role fleetcfg.claude_code.vertex owns, checks and writes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers.common import (
    MODEL_ENV,
    Helper,
    Var,
    common_variables,
    pin_models,
)

NAME = 'vertex'
PREFIX = 'vertex_'
AUTH_MODES = ('adc', 'service_account', 'gateway')

# Google's project ids; Vertex regions (global, the multi-regions us and eu, or a region such as us-east5).
PROJECT_ID = re.compile(r'^[a-z][a-z0-9-]{4,28}[a-z0-9]\Z')
REGION = re.compile(r'^(global|us|eu|[a-z]+-[a-z]+[0-9]+)\Z')
EXPECTED_REGION = 'a Vertex region: global, a multi-region (us, eu) or a region such as us-east5 or europe-west1'
EXPECTED_PROJECT = ('a Google Cloud project id: 6 to 30 lower-case letters, digits and hyphens, starting with a letter and not '
                    'ending with a hyphen (such as my-project-123)')
# Vertex writes a model's version after an @ (claude-sonnet-4-5@20250929); Anthropic API ids end in -<date>.
# Claude's model names on Vertex: a family with its version (claude-sonnet-4-5, claude-opus-4-1, claude-fable-5) or the
# older version-first names (claude-3-5-haiku). Other claude-* names (a gateway's claude-team-sonnet) are not Vertex's.
FAMILY = r'(?:opus|sonnet|haiku|fable)'
MODEL_NAME = r'claude-(?:%s(?:-[0-9]+)*|[0-9]+(?:-[0-9]+)*-%s)' % (FAMILY, FAMILY)
MODEL_PATTERN = r'(?!.*-[0-9]{8}\Z)%s(?:@[0-9]{8})?' % MODEL_NAME
DATED_ID = MODEL_NAME + '@[0-9]{8}'  # unmistakably a Vertex id
EXPECTED_ID = ('a Vertex model id such as claude-sonnet-4-5@20250929 (Vertex writes the version after an @; Bedrock and '
               'Anthropic API ids do not work on Vertex)')

# The client's per-model region variables (reference: provider-env-vars.txt), by Vertex model name.
REGION_VARS = {
    'claude-3-5-haiku': 'VERTEX_REGION_CLAUDE_3_5_HAIKU',
    'claude-3-5-sonnet': 'VERTEX_REGION_CLAUDE_3_5_SONNET',
    'claude-3-7-sonnet': 'VERTEX_REGION_CLAUDE_3_7_SONNET',
    'claude-opus-4': 'VERTEX_REGION_CLAUDE_4_0_OPUS',
    'claude-sonnet-4': 'VERTEX_REGION_CLAUDE_4_0_SONNET',
    'claude-opus-4-1': 'VERTEX_REGION_CLAUDE_4_1_OPUS',
    'claude-opus-4-5': 'VERTEX_REGION_CLAUDE_4_5_OPUS',
    'claude-sonnet-4-5': 'VERTEX_REGION_CLAUDE_4_5_SONNET',
    'claude-haiku-4-5': 'VERTEX_REGION_CLAUDE_HAIKU_4_5',
    'claude-opus-4-6': 'VERTEX_REGION_CLAUDE_4_6_OPUS',
    'claude-sonnet-4-6': 'VERTEX_REGION_CLAUDE_4_6_SONNET',
    'claude-opus-4-7': 'VERTEX_REGION_CLAUDE_4_7_OPUS',
    'claude-opus-4-8': 'VERTEX_REGION_CLAUDE_4_8_OPUS',
    'claude-opus-5': 'VERTEX_REGION_CLAUDE_5_OPUS',
    'claude-sonnet-5': 'VERTEX_REGION_CLAUDE_5_SONNET',
    'claude-fable-5': 'VERTEX_REGION_CLAUDE_FABLE_5',
}

ROLE_ENV = frozenset(('CLAUDE_CODE_USE_VERTEX', 'ANTHROPIC_VERTEX_PROJECT_ID', 'CLOUD_ML_REGION', 'ANTHROPIC_VERTEX_BASE_URL',
                      'CLAUDE_CODE_SKIP_VERTEX_AUTH', 'DISABLE_PROMPT_CACHING', 'GOOGLE_APPLICATION_CREDENTIALS')
                     + tuple(REGION_VARS.values()) + MODEL_ENV)
# GOOGLE_APPLICATION_CREDENTIALS is the key file's pointer: its helper entry sets and removes it.
ENV = tuple(sorted(ROLE_ENV - set(['GOOGLE_APPLICATION_CREDENTIALS'])))

# For settings_info (see bedrock.py); with no credential set, Google's application default credentials.
SWITCH = 'CLAUDE_CODE_USE_VERTEX'
ENDPOINT = 'ANTHROPIC_VERTEX_BASE_URL'
CREDENTIALS = ('env.CLAUDE_CODE_SKIP_VERTEX_AUTH', 'env.GOOGLE_APPLICATION_CREDENTIALS')

HELPERS = dict(
    adc=Helper(None, setting='gcpAuthRefresh', template='vertex-gcp-auth-refresh.sh.j2', path_var='vertex_auth_refresh_path'),
    service_account=Helper(None, env='GOOGLE_APPLICATION_CREDENTIALS', mode='0600', path_var='vertex_service_account_key_path'),
)

VARIABLES = common_variables(PREFIX)
VARIABLES.update({
    'vertex_project_id': Var(required=True, expected=EXPECTED_PROJECT),
    'vertex_region': Var(),
    'vertex_region_overrides': Var('dict'),
    'vertex_models': Var('dict'),
    'vertex_auth': Var(choices=AUTH_MODES),
    'vertex_base_url': Var(),
    'vertex_service_account_key': Var('raw', secret=True),
    'vertex_service_account_key_path': Var(),
    'vertex_gcloud_command': Var(),
    'vertex_auth_refresh_path': Var(),
    'vertex_disable_prompt_caching': Var('bool'),
})


def region_variable(model):
    """The client's region variable of a Vertex model (named with or without its @date), or None."""
    return REGION_VARS.get(model.split('@')[0])


def service_account_key(value):
    """The key as a mapping, or None when it is not a service account key Google issues."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, dict) or value.get('type') != 'service_account':
        return None
    if not value.get('client_email') or not value.get('private_key'):
        return None
    return value


def configure(v):
    """Check the inputs (problems go to ``v``) and return what one Vertex configuration writes."""
    models = v.get('models', {})
    if v['state'] == 'absent':
        return dict(own_models=MODEL_PATTERN, model_values=[models.get('default')])
    auth = v['auth']
    project = v['project_id']
    if project is not None and not PROJECT_ID.match(project):
        v.expect('vertex_project_id', EXPECTED_PROJECT)
    if not REGION.match(v.get('region', '')):
        v.expect('vertex_region', EXPECTED_REGION)
    overrides = v.get('region_overrides', {})
    for model in sorted(overrides):
        if region_variable(model) is None:
            v.problems.append('vertex_region_overrides: expected a model the client has a region variable for (%s, with or '
                              'without its @date), got %s' % (', '.join(sorted(REGION_VARS)), json.dumps(model)))
        elif not isinstance(overrides[model], str) or not REGION.match(overrides[model]):
            v.expect('vertex_region_overrides.%s' % model, EXPECTED_REGION, overrides[model])
    pins, model_keys = pin_models(v, models, MODEL_PATTERN, EXPECTED_ID)
    base_url = v.get('base_url', '')
    if base_url and not re.match(r'^https?://[^/ ]+(/[^ ]*)?/v1\Z', base_url):
        v.expect('vertex_base_url', 'an http(s) URL ending in /v1 (the client adds /projects/... under it), such as '
                 'https://vertex-proxy.example.com/v1')
    elif auth == 'gateway' and not base_url:
        v.require('vertex_base_url', 'the URL of the proxy that holds the Google credentials, ending in /v1',
                  ' with vertex_auth=gateway')
    key = v.get('service_account_key')
    if auth != 'service_account' and key not in (None, '', {}):
        v.refuse('vertex_service_account_key', 'only with vertex_auth=service_account (vertex_auth is %s); remove it' % auth)
    elif auth == 'service_account':
        if key in (None, '', {}):
            v.require('vertex_service_account_key', 'the JSON key of the service account, from a vault',
                      ' with vertex_auth=service_account')
        elif service_account_key(key) is None:
            v.expect('vertex_service_account_key', 'the JSON key Google issues (type service_account, with client_email '
                     'and private_key)')
        if v['scope'] != 'user':
            v.refuse('vertex_auth', 'service_account needs vertex_scope=user: the client runs as each user and must read the '
                     'key, so a key placed with managed settings would be readable by every account of the machine; for a '
                     'machine-wide configuration use vertex_auth=adc (the credentials of the machine) or gateway')
    if not v.get('gcloud_command'):
        v.expect('vertex_gcloud_command', 'the gcloud command (a name on the user\'s PATH or a path)')
    if v.problems:
        return None

    env = dict(v.get('env', {}))
    env.update(CLAUDE_CODE_USE_VERTEX='1', ANTHROPIC_VERTEX_PROJECT_ID=project, CLOUD_ML_REGION=v['region'])
    env.update((region_variable(model), region) for model, region in overrides.items())
    env.update(pins)
    if base_url:
        env['ANTHROPIC_VERTEX_BASE_URL'] = base_url
    if auth == 'gateway':
        env['CLAUDE_CODE_SKIP_VERTEX_AUTH'] = '1'
    if v['disable_prompt_caching']:
        env['DISABLE_PROMPT_CACHING'] = '1'
    env = dict((name, str(value)) for name, value in env.items())
    conf = dict(env=env, settings=model_keys, helpers=[], endpoint=base_url or None)
    if auth == 'adc':
        helper = HELPERS['adc']
        conf['helpers'].append(helper.entry(v['auth_refresh_path'], template=helper.template))
    elif auth == 'service_account':
        content = key if isinstance(key, str) else json.dumps(key, indent=2, sort_keys=True) + '\n'
        conf['helpers'].append(HELPERS['service_account'].entry(v['service_account_key_path'], content=content))
    return conf
