/**
 * What the labeling app refuses, by name: each error carries the HTTP status the page gets, and its name is the
 * `error` field of the JSON answer, so the page (and a test) can tell them apart.
 */
export class LabelerError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request body is not JSON, or not the JSON the route takes (the message names the field). */
export class BadRequestError extends LabelerError {
  constructor(message: string) {
    super(400, message);
  }
}

export class BodyTooLargeError extends LabelerError {
  constructor(limit: number) {
    super(413, `the request body is larger than ${limit} bytes`);
  }
}

/** The image id is not one of the batch's images. */
export class UnknownImageError extends LabelerError {
  constructor(imageId: string) {
    super(404, `${JSON.stringify(imageId.slice(0, 80))} is not an image of this batch`);
  }
}

/** Someone else holds the image's claim (until it expires), or took it after yours expired. */
export class ImageClaimedError extends LabelerError {
  constructor(imageId: string, by: string, until: number) {
    super(409, `image ${imageId} is being labeled by ${by} until ${new Date(until).toISOString()}`);
  }
}

/** The image is labeled already: a label is saved once. */
export class AlreadyLabeledError extends LabelerError {
  constructor(imageId: string, by: string) {
    super(409, `image ${imageId} was labeled by ${by}`);
  }
}

/** The batch was finished or rejected: the run has moved on. */
export class BatchClosedError extends LabelerError {
  constructor(how: string) {
    super(409, `the batch is closed (${how})`);
  }
}
