import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'isPublic';

/** Marks a route (or controller) that needs no API key: health, Bitrix24 callbacks, the page. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
