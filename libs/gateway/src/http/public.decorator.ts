import { SetMetadata } from '@nestjs/common';

export const PUBLIC_ROUTE = 'cleave:public-route';

/** A route that needs no access token (sign-up, token exchange). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
