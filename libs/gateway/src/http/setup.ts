import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import qs from 'qs';
import { crashPoint, crashPointsArmed } from '@cleave/platform';
import { MonzoErrorFilter } from './monzo-error.filter';

/**
 * The gateway's HTTP server: form-encoded bodies with bracketed keys (`metadata[trip]=Lisbon`) besides
 * JSON, Monzo-style errors for every route (unknown ones too), and the OpenAPI document at /docs,
 * generated from the same DTOs that validate requests.
 */
export async function setUpGatewayHttp(app: NestFastifyApplication): Promise<void> {
  app.useBodyParser('application/x-www-form-urlencoded', {}, (_request, body, done) => {
    done(null, qs.parse(body.toString('utf8'), { depth: 2, arrayLimit: 50, parameterLimit: 200 }));
  });
  app.useGlobalFilters(new MonzoErrorFilter());
  if (crashPointsArmed()) {
    // Drills: die once the card network has heard the answer, with whatever the gateway had in hand.
    app.getHttpAdapter().getInstance().addHook('onResponse', (request, _reply, done) => {
      if (request.routeOptions.url === '/network/authorisations') crashPoint('gateway.authorise:after-answer');
      done();
    });
  }
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Cleave')
      .setDescription('A card-issuing bank backend, in the shape of the Monzo developer API. Amounts are integers in minor units.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
}
