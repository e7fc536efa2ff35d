import { IsInt, IsISO4217CurrencyCode, IsString, Matches, MaxLength, Min } from 'class-validator';
import { query } from '@cleave/contracts';

/** The benchmark's payload: four fields with validation rules, the size of a small card authorisation. */
export class EchoRequest {
  @Matches(/^acc_[0-9A-Za-z]{22}$/) accountId!: string;
  @IsInt() @Min(1) amount!: number;
  @IsISO4217CurrencyCode() currency!: string;
  @IsString() @MaxLength(64) merchant!: string;
}

export interface EchoReply {
  accountId: string;
  approved: boolean;
  balance: number;
}

export const PAYLOAD = { accountId: 'acc_00009237aqC8c5umZmrRdh', amount: 1915, currency: 'GBP', merchant: 'Brightbird Espresso' };

/** The work every responder does, on every path: the same reply to the same request. */
export function answer(request: { accountId: string; amount: number }): EchoReply {
  return { accountId: request.accountId, approved: true, balance: 100_000 - request.amount };
}

export const BenchRequests = { 'bench.echo': query(EchoRequest).returns<EchoReply>() } as const;
export type BenchRequests = typeof BenchRequests;
