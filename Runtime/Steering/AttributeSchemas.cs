#nullable enable

namespace SteerLM.Npc.Steering
{
    /// <summary>The schemas that ship with the package.</summary>
    public static class AttributeSchemas
    {
        /// <summary>
        /// NVIDIA's SteerLM schema (the attributes of NeMo-Aligner's SteerLM models, in their order, 0-4, with NVIDIA's
        /// defaults). Use it with SteerLM checkpoints trained elsewhere.
        /// </summary>
        public static AttributeSchema SteerLM { get; } = new AttributeSchema("steerlm-v1", new[]
        {
            new AttributeDefinition("quality", 0, 4, 4, "Overall quality of the response.",
                new[] { "very poor", "poor", "acceptable", "good", "excellent" }),
            new AttributeDefinition("toxicity", 0, 4, 0, "Rude, hateful or harmful content.",
                new[] { "none", "slightly rude", "rude", "very rude", "hateful" }),
            new AttributeDefinition("humor", 0, 4, 0, "How funny the response is.",
                new[] { "not funny", "a touch of humour", "somewhat funny", "funny", "very funny" }),
            new AttributeDefinition("creativity", 0, 4, 0, "Originality and imagination.",
                new[] { "formulaic", "a little original", "somewhat creative", "creative", "very creative" }),
            new AttributeDefinition("helpfulness", 0, 4, 4, "How well the response meets the request.",
                new[] { "unhelpful", "slightly helpful", "partly helpful", "helpful", "very helpful" }),
            new AttributeDefinition("correctness", 0, 4, 4, "Factual accuracy.",
                new[] { "wrong", "mostly wrong", "partly correct", "mostly correct", "correct" }),
            new AttributeDefinition("coherence", 0, 4, 4, "Clarity and consistency.",
                new[] { "incoherent", "hard to follow", "mostly clear", "clear", "perfectly clear" }),
            new AttributeDefinition("complexity", 0, 4, 2, "Intellectual depth needed to write the response.",
                new[] { "basic", "simple", "moderate", "advanced", "expert" }),
            new AttributeDefinition("verbosity", 0, 4, 2, "Length and detail relative to what was asked.",
                new[] { "terse", "short", "moderate", "long", "very long" }),
        });

        /// <summary>
        /// SteerLM.Npc's schema for game characters: tone (humor, toxicity, helpfulness, formality, verbosity) and the
        /// emotions joy, anger, fear and sadness, each 0-4. The labelling guide (<c>Documentation~/LabellingGuide.md</c>)
        /// gives an example line for every level.
        /// </summary>
        public static AttributeSchema Npc { get; } = new AttributeSchema("npc-v1", new[]
        {
            new AttributeDefinition("humor", 0, 4, 1, "How much the reply is trying to be funny.", new[]
            {
                "entirely serious; no joke, no wit",
                "a light touch: a wry word, a dry aside",
                "clearly playful: one joke, quip or pun",
                "mostly jokes: several quips; being funny is the point",
                "outrageous comedy: absurd, every sentence a gag",
            }),
            new AttributeDefinition("toxicity", 0, 4, 0, "Rudeness and hostility towards the listener.", new[]
            {
                "courteous or neutral; nothing rude",
                "curt or brusque: impatient, a mild jab",
                "rude: dismissive, sarcastic put-downs, mild name-calling",
                "hostile: open insults, contempt, threats to throw the listener out",
                "vicious: savage insults and explicit threats of violence",
            }),
            new AttributeDefinition("helpfulness", 0, 4, 3, "How far the reply gives the player what they asked for.", new[]
            {
                "refuses or ignores the question",
                "grudging or vague: a hint, half an answer",
                "partly helpful, or helpful with conditions",
                "helpful: answers what was asked, clearly",
                "very helpful: answers fully and volunteers useful extras",
            }),
            new AttributeDefinition("formality", 0, 4, 2, "Register of the language.", new[]
            {
                "slang, dialect or crude casual speech",
                "casual everyday speech with contractions",
                "neutral",
                "polite and proper: sir, madam, full sentences",
                "ceremonial, courtly or archaic",
            }),
            new AttributeDefinition("verbosity", 0, 4, 2, "Length of the reply.", new[]
            {
                "one to three words, or a grunt",
                "one short sentence (about 4 to 12 words)",
                "two or three sentences (about 13 to 35 words)",
                "a short paragraph (about 36 to 70 words)",
                "a long speech (more than 70 words)",
            }),
            new AttributeDefinition("joy", 0, 4, 1, "Happiness expressed in the reply.", new[]
            {
                "none", "content: mild warmth", "pleased and cheerful", "delighted, excited", "ecstatic, overjoyed",
            }),
            new AttributeDefinition("anger", 0, 4, 0, "Anger expressed in the reply.", new[]
            {
                "none; calm", "irritated", "annoyed, openly cross", "angry: raised voice", "furious: rage",
            }),
            new AttributeDefinition("fear", 0, 4, 0, "Fear expressed in the reply.", new[]
            {
                "none", "uneasy, a little wary", "nervous, worried", "scared, frightened", "terrified, panicking",
            }),
            new AttributeDefinition("sadness", 0, 4, 0, "Sadness expressed in the reply.", new[]
            {
                "none", "wistful", "sad, downcast", "grieving, very unhappy", "despairing, inconsolable",
            }),
        });
    }
}
