# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Microsoft Foundry: what the role fleetcfg.claude_code.foundry owns, checks and writes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import bedrock, vertex
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers.common import (
    MODEL_ENV,
    Var,
    account_keys,
    check_account_key,
    common_variables,
    pin_models,
    refuse_unused,
)

NAME = 'foundry'
PREFIX = 'foundry_'
AUTH_MODES = ('api_key', 'entra_id', 'gateway')

# An Azure resource name (the <resource> of https://<resource>.services.ai.azure.com) and the base URL the client
# posts to (<base>/v1/messages): Foundry's Anthropic endpoint ends in /anthropic.
RESOURCE = re.compile(r'^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?\Z')
BASE_URL = re.compile(r'^https?://(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?'
                      r'(?:/[A-Za-z0-9._~%+-]+)*/anthropic\Z')
# Foundry's model pins are deployment names, which a team chooses; another provider's model ids are not one.
MODEL_PATTERN = r'(?!(?:%s|%s)\Z)[A-Za-z0-9][A-Za-z0-9._-]{0,63}' % (bedrock.MODEL_PATTERN, vertex.DATED_ID)
EXPECTED_DEPLOYMENT = 'a Foundry deployment name (letters, digits, . _ -, such as claude-sonnet-4-5)'

ROLE_ENV = frozenset(('CLAUDE_CODE_USE_FOUNDRY', 'ANTHROPIC_FOUNDRY_RESOURCE', 'ANTHROPIC_FOUNDRY_BASE_URL',
                      'ANTHROPIC_FOUNDRY_API_KEY', 'ANTHROPIC_FOUNDRY_AUTH_TOKEN', 'CLAUDE_CODE_SKIP_FOUNDRY_AUTH') + MODEL_ENV)
ENV = tuple(sorted(ROLE_ENV))
# For settings_info (see bedrock.py); with no credential set, Entra ID's default credential chain.
SWITCH = 'CLAUDE_CODE_USE_FOUNDRY'
ENDPOINT = 'ANTHROPIC_FOUNDRY_BASE_URL'
CREDENTIALS = ('env.CLAUDE_CODE_SKIP_FOUNDRY_AUTH', 'env.ANTHROPIC_FOUNDRY_API_KEY', 'env.ANTHROPIC_FOUNDRY_AUTH_TOKEN')

HELPERS = {}

VARIABLES = common_variables(PREFIX)
VARIABLES.update({
    'foundry_resource': Var(),
    'foundry_base_url': Var(),
    'foundry_auth': Var(choices=AUTH_MODES, required=True, expected='one of %s' % ', '.join(AUTH_MODES)),
    'foundry_api_key': Var('raw', secret=True),
    'foundry_models': Var('dict', required=True, expected='a mapping with at least sonnet and haiku: <deployment name>'),
})


def configure(v):
    """Check the inputs (problems go to ``v``) and return what one Foundry configuration writes."""
    models = v.get('models', {})
    if v['state'] == 'absent':
        # Deployment names look like anything: only the default model this configuration set is the role's.
        return dict(own_models=None, model_values=[models.get('default')])
    auth = v['auth']
    resource, base_url = v.get('resource', ''), v.get('base_url', '')
    if resource and base_url:
        v.refuse('foundry_base_url', 'set with foundry_resource; give one of them (the resource is the URL '
                 'https://<resource>.services.ai.azure.com/anthropic)')
    elif not resource and not base_url:
        v.require('foundry_resource', 'the Azure resource name, or foundry_base_url')
    elif resource and not RESOURCE.match(resource):
        v.expect('foundry_resource', 'an Azure resource name (letters, digits and -, as in https://<resource>.services.ai.azure.com)')
    elif base_url and not BASE_URL.match(base_url.rstrip('/')):
        v.expect('foundry_base_url', 'an http(s) URL ending in /anthropic, such as https://my-resource.services.ai.azure.com/anthropic '
                 '(the client posts to <base>/v1/messages)')
    if auth == 'api_key':
        check_account_key(v, 'foundry_api_key', 'foundry_auth', auth)
    else:
        refuse_unused(v, 'foundry_api_key', 'foundry_auth', auth, 'api_key')
    if auth == 'gateway' and not base_url:
        v.require('foundry_base_url', 'the URL of the gateway that holds the Foundry credential, ending in /anthropic',
                  ' with foundry_auth=gateway')
    for model_class in ('sonnet', 'haiku'):
        if not models.get(model_class):
            v.require('foundry_models.%s' % model_class, '%s for the %s class: unpinned, the client asks for a model name its '
                      'release chooses, which is rarely a deployment of the resource' % (EXPECTED_DEPLOYMENT, model_class))
    pins, model_keys = pin_models(v, models, MODEL_PATTERN, EXPECTED_DEPLOYMENT, overrides=False)
    if v.problems:
        return None

    env = dict(v.get('env', {}))
    env['CLAUDE_CODE_USE_FOUNDRY'] = '1'
    if resource:
        env['ANTHROPIC_FOUNDRY_RESOURCE'] = resource
    else:
        env['ANTHROPIC_FOUNDRY_BASE_URL'] = base_url.rstrip('/')
    if auth == 'gateway':
        env['CLAUDE_CODE_SKIP_FOUNDRY_AUTH'] = '1'
    env.update(pins)
    env = dict((name, str(value)) for name, value in env.items())
    endpoint = base_url.rstrip('/') if base_url else 'https://%s.services.ai.azure.com/anthropic' % resource
    # A model key is kept only when it names a deployment this configuration pins (or a class alias): another
    # provider's model name looks like a deployment name too, and the resource answers it with a 404.
    deployments = [value for value in list(pins.values()) + [model_keys.get('model')] if value]
    conf = dict(env=env, settings=model_keys, helpers=[], endpoint=endpoint,
                model_pattern='|'.join(re.escape(value) for value in deployments))
    if auth == 'api_key':
        conf['user_env'] = account_keys(v, 'foundry_api_key', 'ANTHROPIC_FOUNDRY_API_KEY')
        conf['mode'] = '0600'
    return conf
