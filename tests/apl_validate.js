#!/usr/bin/env node
// Runs Amazon's own APL validator (npm apl-suggester, StaticAplTemplateValidator) and prints JSON.
//
//   node tests/apl_validate.js DOCUMENT.json...   -> {"DOCUMENT.json": [{path, errorMessage, level}], ...}
//   node tests/apl_validate.js -                  reads {"documents": {name: doc},
//                                                  "datasources": {name: datasources}} from stdin and
//                                                  prints {"documents": {...}, "datasources": {...}}
//   node tests/apl_validate.js --eval             reads {"cases": [{"context": {...}, "binds":
//                                                  [[name, value]...], "expression": "${...}"}]}
//                                                  from stdin and prints each expression's value:
//                                                  how the document's own timer expressions read at
//                                                  chosen elapsed times. Binds are evaluated in
//                                                  order, except names the context already sets.
// Exit status 0 when it ran (the results say what is wrong), 2 when it could not run.
'use strict';

const fs = require('fs');

function readStdin() {
  return JSON.parse(fs.readFileSync(0, 'utf8'));
}

// apl-suggester reports through console.warn for some shapes; keep stdout pure JSON.
console.warn = () => {};
console.log = () => {};

// Besides the warnings validate() returns, the validator raises its ERROR-level findings
// (unknown component type, unknown layout, item and items together, an import it cannot fetch)
// through its ErrorController, which drops them unless someone listens. Listen, and report them.
const ERROR_NAMES = {};

function listenForErrors(suggester, raised) {
  const controller = suggester.ErrorController.getInstance();
  controller.registerErrors();
  for (const [name, definition] of Object.entries(suggester.ErrorDefinitions)) ERROR_NAMES[definition.code] = name;
  controller.setErrorInterface({
    sendError: (error) => {
      const placeholders = error.placeholders || {};
      raised.push({
        path: placeholders.path || '/',
        errorMessage: `${ERROR_NAMES[error.code] || error.code}${placeholders.name ? ': ' + placeholders.name : ''}`,
        level: error.level,
      });
    },
  });
}

async function validateAll(documents, datasources) {
  const suggester = require('apl-suggester');
  const raised = [];
  listenForErrors(suggester, raised);
  const validator = new suggester.StaticAplTemplateValidator();
  const out = { documents: {}, datasources: {} };
  for (const [name, document] of Object.entries(documents)) {
    raised.length = 0;
    // validate() works on (and annotates) the object it is given: give it a copy.
    const warnings = await validator.validate(JSON.parse(JSON.stringify(document)));
    out.documents[name] = raised.splice(0).concat(warnings);
  }
  for (const [name, sources] of Object.entries(datasources || {})) {
    out.datasources[name] = await validator.validateDataSources(sources);
  }
  return out;
}

// APL's expression language is a subset of JavaScript's for what the documents use (Math.*,
// arithmetic, comparisons, ?:, string +), so each ${...} is evaluated as JavaScript.
function evaluate(expression, context) {
  if (typeof expression !== 'string') return expression;
  const names = Object.keys(context);
  const values = names.map((n) => context[n]);
  const one = (inner) => Function(...names, 'Math', `"use strict"; return (${inner});`)(...values, Math);
  const whole = /^\$\{([^{}]*)\}$/.exec(expression);
  if (whole) return one(whole[1]);
  return expression.replace(/\$\{([^{}]*)\}/g, (_, inner) => String(one(inner)));
}

async function main(args) {
  let result;
  if (args[0] === '--eval') {
    result = readStdin().cases.map((c) => {
      const context = { ...c.context };
      for (const [name, value] of c.binds || []) {
        if (!(name in context)) context[name] = evaluate(value, context);
      }
      return evaluate(c.expression, context);
    });
  } else if (args[0] === '-') {
    const input = readStdin();
    result = await validateAll(input.documents || {}, input.datasources || {});
  } else {
    const documents = {};
    for (const path of args) documents[path] = JSON.parse(fs.readFileSync(path, 'utf8'));
    result = (await validateAll(documents, {})).documents;
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`apl_validate: ${err && err.stack ? err.stack : err}\n`);
  process.exit(2);
});
