"""Writes src/aftercart/sample_data/{products,stores}.csv (run from the repository root).

Packaged UPCs are computed here so that every check digit is right; the CSV files are committed.
Produce and counter items sold by weight carry only a retailer reference code (a PLU), as in real
stores; packaged goods carry a UPC-A, and some of them also an RRC.
"""

import csv
import sys
from pathlib import Path

from stdnum import ean

OUT = Path(__file__).resolve().parent.parent / "src" / "aftercart" / "sample_data"

# name | size | unit price. One block per aisle; each block gets its own manufacturer prefix.
PACKAGED = {
    "dairy": """
Whole Milk|1 gal|4.29
2% Reduced Fat Milk|1 gal|4.19
1% Low Fat Milk|0.5 gal|2.79
Fat Free Skim Milk|0.5 gal|2.69
Organic Whole Milk|0.5 gal|5.49
Unsweetened Almond Milk|64 fl oz|3.99
Original Oat Milk|64 fl oz|4.49
Half & Half|1 pt|2.49
Heavy Whipping Cream|1 pt|4.29
Salted Butter Sticks|16 oz|4.99
Unsalted Butter Sticks|16 oz|4.99
Plain Greek Yogurt|32 oz|5.99
Vanilla Greek Yogurt|5.3 oz|1.29
Strawberry Low Fat Yogurt|6 oz|0.89
Blueberry Whole Milk Yogurt|6 oz|0.99
Sharp Cheddar Cheese Block|8 oz|3.49
Shredded Mozzarella Cheese|8 oz|3.29
Sliced Swiss Cheese|8 oz|3.99
Grated Parmesan Cheese|8 oz|4.79
Small Curd Cottage Cheese|24 oz|3.99
Original Cream Cheese|8 oz|2.79
Large Grade A Eggs|12 ct|3.49
Cage Free Brown Eggs|12 ct|4.99
Pasture Raised Large Eggs|18 ct|7.99
Sour Cream|16 oz|2.49
String Cheese|12 ct|5.49
""",
    "bakery": """
Classic White Sandwich Bread|20 oz|2.99
100% Whole Wheat Bread|24 oz|3.79
Honey Wheat Bread|20 oz|3.49
Sourdough Sandwich Loaf|24 oz|4.49
Plain Bagels|6 ct|3.29
Everything Bagels|6 ct|3.29
English Muffins|6 ct|2.99
Flour Tortillas Burrito Size|8 ct|3.19
Yellow Corn Tortillas|30 ct|2.49
Hamburger Buns|8 ct|2.79
Hot Dog Buns|8 ct|2.79
Butter Croissants|4 ct|4.99
Blueberry Muffins|4 ct|5.49
Plain Pita Bread|6 ct|2.99
""",
    "pantry": """
Spaghetti Pasta|16 oz|1.49
Penne Rigate Pasta|16 oz|1.49
Elbow Macaroni|16 oz|1.39
Marinara Pasta Sauce|24 oz|3.29
Tomato Basil Pasta Sauce|24 oz|3.49
Long Grain White Rice|2 lb|2.99
Jasmine Rice|2 lb|3.99
Brown Rice|2 lb|3.29
Old Fashioned Rolled Oats|42 oz|5.49
Honey Nut Toasted Oat Cereal|15.4 oz|4.79
Corn Flakes Cereal|18 oz|3.99
Raisin Bran Cereal|16.6 oz|4.29
Creamy Peanut Butter|16 oz|2.99
Crunchy Peanut Butter|16 oz|2.99
Strawberry Preserves|18 oz|3.49
Grape Jelly|30 oz|3.29
Clover Honey|12 oz|4.99
Pure Maple Syrup|12.5 fl oz|8.99
Extra Virgin Olive Oil|16.9 fl oz|7.99
Vegetable Oil|48 fl oz|4.49
All Purpose Flour|5 lb|3.49
Granulated Sugar|4 lb|3.79
Light Brown Sugar|2 lb|2.69
Baking Soda|16 oz|1.19
Pure Vanilla Extract|2 fl oz|6.99
Semi-Sweet Chocolate Chips|12 oz|3.99
Chicken Noodle Soup|10.75 oz|1.49
Tomato Soup|10.75 oz|1.29
Low Sodium Chicken Broth|32 fl oz|2.79
Black Beans|15.5 oz|1.09
Garbanzo Beans|15.5 oz|1.09
Kidney Beans|15.5 oz|1.09
Diced Tomatoes|14.5 oz|1.29
Tomato Paste|6 oz|0.99
Sweet Corn Kernels|15.25 oz|1.19
Cut Green Beans|14.5 oz|1.19
Chunk Light Tuna in Water|5 oz|1.39
Wild Pink Salmon|5 oz|3.49
Yellow Mustard|14 oz|1.79
Tomato Ketchup|32 oz|3.49
Real Mayonnaise|30 fl oz|5.99
Ranch Dressing|16 fl oz|3.79
Italian Dressing|16 fl oz|2.99
Apple Cider Vinegar|32 fl oz|3.29
Soy Sauce|15 fl oz|2.99
Medium Chunky Salsa|16 oz|3.29
Iodized Salt|26 oz|1.29
Ground Black Pepper|3 oz|3.99
Ground Cinnamon|2.37 oz|3.49
Chili Powder|2.5 oz|2.99
""",
    "snacks": """
Classic Potato Chips|8 oz|4.29
Sea Salt Kettle Chips|8 oz|4.49
Tortilla Chips Restaurant Style|13 oz|4.79
Pretzel Twists|16 oz|3.49
Butter Microwave Popcorn|3 ct|3.99
Cheddar Cheese Crackers|7 oz|3.29
Saltine Crackers|16 oz|3.19
Whole Grain Wheat Crackers|9 oz|3.99
Chocolate Sandwich Cookies|14.3 oz|4.49
Chocolate Chip Cookies|13 oz|3.99
Honey Graham Crackers|14.4 oz|4.29
Chewy Granola Bars Chocolate Chip|8 ct|3.79
Trail Mix|26 oz|8.99
Roasted Salted Almonds|16 oz|7.99
Lightly Salted Cashews|8 oz|5.99
Dry Roasted Peanuts|16 oz|3.49
Fruit Snacks Mixed Fruit|10 ct|3.99
Milk Chocolate Bar|1.55 oz|1.49
Dark Chocolate Sea Salt Bar|3.5 oz|3.49
Rice Cakes Lightly Salted|4.47 oz|2.79
""",
    "beverages": """
Spring Water|24 pk 16.9 fl oz|4.99
Sparkling Water Lime|12 pk 12 fl oz|5.49
Sparkling Water Grapefruit|12 pk 12 fl oz|5.49
Cola|12 pk 12 fl oz|7.49
Diet Cola|12 pk 12 fl oz|7.49
Lemon Lime Soda|2 L|2.49
Ginger Ale|12 pk 12 fl oz|6.99
100% Orange Juice No Pulp|52 fl oz|4.49
100% Apple Juice|64 fl oz|3.49
Cranberry Juice Cocktail|64 fl oz|3.99
Lemonade|52 fl oz|2.99
Unsweetened Iced Tea|64 fl oz|2.99
Ground Coffee Medium Roast|12 oz|8.99
Whole Bean Coffee Dark Roast|12 oz|10.99
Green Tea Bags|20 ct|3.49
Black Tea Bags|100 ct|4.99
Cold Brew Coffee|48 fl oz|5.99
Sports Drink Fruit Punch|28 fl oz|1.79
Coconut Water|33.8 fl oz|4.49
Kombucha Ginger|16 fl oz|3.99
""",
    "frozen": """
Frozen Pepperoni Pizza|21.6 oz|6.99
Frozen Cheese Pizza|19.8 oz|6.49
Frozen Mixed Vegetables|12 oz|1.79
Frozen Sweet Peas|12 oz|1.79
Frozen Broccoli Florets|12 oz|2.29
Frozen Blueberries|16 oz|4.49
Frozen Strawberries|16 oz|3.99
Vanilla Ice Cream|1.5 qt|5.49
Chocolate Ice Cream|1.5 qt|5.49
Frozen Waffles Homestyle|10 ct|3.49
Crinkle Cut French Fries|32 oz|3.99
Chicken Breast Nuggets|29 oz|8.99
Beef and Bean Burritos|8 ct|5.99
Cheese Ravioli|25 oz|5.49
Breaded Fish Sticks|24.5 oz|7.49
Frozen Cauliflower Rice|12 oz|2.99
""",
    "meat": """
Boneless Skinless Chicken Breasts|2.5 lb|11.99
Chicken Thighs Bone In|3 lb|8.99
Lean Ground Beef 90/10|1 lb|7.99
Ground Beef 80/20|1 lb|5.99
Ground Turkey 93/7|1 lb|5.49
Hickory Smoked Bacon|16 oz|6.99
Beef Hot Dogs|8 ct|4.99
Sliced Oven Roasted Turkey Breast|9 oz|4.99
Sliced Black Forest Ham|9 oz|4.99
Italian Sausage Links|19 oz|5.99
Atlantic Salmon Fillets|12 oz|10.99
Raw Shrimp Peeled and Deveined|16 oz|11.99
Extra Firm Tofu|14 oz|2.49
Uncured Genoa Salami|4 oz|3.99
""",
    "household": """
Paper Towels|6 rolls|12.99
Bath Tissue Double Rolls|12 rolls|11.99
Facial Tissues|3 ct|5.49
Dish Soap Original|19.4 fl oz|3.49
Dishwasher Detergent Pods|32 ct|9.99
Laundry Detergent Free & Clear|92 fl oz|12.99
Tall Kitchen Trash Bags|45 ct|10.99
Aluminum Foil|75 sq ft|5.49
Plastic Wrap|200 sq ft|3.99
Gallon Storage Bags|30 ct|4.49
Sandwich Bags|100 ct|3.49
All Purpose Cleaner|32 fl oz|3.99
Disinfecting Wipes Lemon|75 ct|5.99
Sponges Non Scratch|6 ct|4.29
AA Alkaline Batteries|8 ct|9.99
""",
    "personal_care": """
Fluoride Toothpaste Mint|4.8 oz|3.49
Soft Toothbrushes|2 ct|3.99
Mouthwash Cool Mint|1 L|5.99
Moisturizing Body Wash|22 fl oz|6.99
Daily Shampoo|12.6 fl oz|5.49
Daily Conditioner|12 fl oz|5.49
Bar Soap Original|4 ct|4.99
Deodorant Clean Scent|2.6 oz|4.79
Daily Moisturizing Lotion|18 fl oz|8.99
Cotton Swabs|500 ct|3.99
Hand Soap Refill|56 fl oz|6.99
Ibuprofen Tablets 200 mg|100 ct|7.99
""",
    "baby_pet": """
Baby Wipes Unscented|72 ct|3.49
Diapers Size 3|84 ct|24.99
Puree Apple Banana Baby Food|4 oz|1.29
Dry Dog Food Chicken & Rice|15 lb|24.99
Dry Cat Food Salmon|7 lb|14.99
Clumping Cat Litter|20 lb|12.99
Wet Cat Food Pate Variety|12 ct|9.99
Dog Biscuits|24 oz|5.49
""",
}

#: Produce and counter items without a barcode: PLU-style RRC, name, size, price.
BY_WEIGHT_RRC = """
PLU-4011|Bananas|per lb|0.59
PLU-4131|Fuji Apples|per lb|1.99
PLU-4017|Granny Smith Apples|per lb|1.99
PLU-4133|Gala Apples|per lb|1.79
PLU-4409|Bartlett Pears|per lb|1.89
PLU-4023|Red Seedless Grapes|per lb|2.99
PLU-4022|Green Seedless Grapes|per lb|2.99
PLU-4664|Roma Tomatoes|per lb|1.49
PLU-4087|Tomatoes on the Vine|per lb|2.49
PLU-4062|Cucumbers|per lb|1.29
PLU-4060|Broccoli Crowns|per lb|2.29
PLU-4079|Cauliflower|per lb|2.49
PLU-4562|Loose Carrots|per lb|0.99
PLU-4072|Russet Potatoes|per lb|0.99
PLU-4074|Sweet Potatoes|per lb|1.49
PLU-4665|Yellow Onions|per lb|1.19
PLU-4082|Red Onions|per lb|1.49
PLU-4608|Garlic|per lb|4.99
PLU-4612|Ginger Root|per lb|3.99
PLU-4688|Red Bell Peppers|per lb|3.49
PLU-4065|Green Bell Peppers|per lb|1.99
PLU-4067|Zucchini Squash|per lb|1.79
PLU-4048|Limes|per lb|1.99
PLU-4053|Lemons|per lb|2.49
PLU-4012|Navel Oranges|per lb|1.69
PLU-4032|Seedless Watermelon|per lb|0.69
PLU-4050|Cantaloupe|per lb|1.19
PLU-4078|Yellow Corn|per lb|1.29
PLU-4640|Cremini Mushrooms|per lb|4.99
PLU-4093|Jalapeno Peppers|per lb|1.99
DELI-1001|Oven Roasted Turkey Breast, Deli Sliced|per lb|10.99
DELI-1002|Black Forest Ham, Deli Sliced|per lb|9.49
DELI-1003|Provolone Cheese, Deli Sliced|per lb|8.99
DELI-1004|Rotisserie Chicken Salad|per lb|8.49
MEAT-2001|Ribeye Steak Boneless|per lb|15.99
MEAT-2002|New York Strip Steak|per lb|13.99
MEAT-2003|Pork Tenderloin|per lb|4.99
MEAT-2004|Whole Chicken Wings|per lb|3.99
SEA-3001|Wild Cod Fillets|per lb|11.99
SEA-3002|Ahi Tuna Steaks|per kg|39.99
BULK-5001|Bulk Raw Almonds|per lb|8.99
BULK-5002|Bulk Rolled Oats|per lb|1.69
"""

#: Counted items sold each: a PLU only, no barcode.
EACH_RRC = """
PLU-4225|Hass Avocado|1 ct|1.50
PLU-4061|Iceberg Lettuce|1 head|1.99
PLU-4640B|Romaine Hearts|3 ct|3.99
PLU-4261|Coconut|1 ct|2.99
PLU-4959|Mango|1 ct|1.25
PLU-4430|Pineapple|1 ct|3.99
"""

#: A few packaged items also carry the retailer's own code: (aisle, index in block, RRC).
ALSO_RRC = [("dairy", 0, "SKU-100245"), ("dairy", 21, "SKU-100311"), ("bakery", 0, "SKU-200118")]
ALSO_RRC += [("pantry", 0, "SKU-300027"), ("beverages", 0, "SKU-400502")]

# Made-up manufacturer prefixes (number system 0), one per aisle; a real match is chance.
PREFIXES = {
    "dairy": "071842",
    "bakery": "072255",
    "pantry": "041196",
    "snacks": "086914",
    "beverages": "012993",
    "frozen": "013764",
    "meat": "077782",
    "household": "089437",
    "personal_care": "035045",
    "baby_pet": "023100",
}

STORES = [
    (
        "sf-mission",
        "Aftercart Market Mission",
        "2300 16th St",
        "San Francisco",
        "CA",
        "94103",
        37.7655,
        -122.4117,
        "true",
        "true",
    ),
    (
        "sf-marina",
        "Aftercart Market Marina",
        "2055 Chestnut St",
        "San Francisco",
        "CA",
        "94123",
        37.8006,
        -122.4388,
        "true",
        "true",
    ),
    (
        "oak-uptown",
        "Aftercart Market Uptown Oakland",
        "2100 Telegraph Ave",
        "Oakland",
        "CA",
        "94612",
        37.8120,
        -122.2690,
        "true",
        "true",
    ),
    (
        "bk-heights",
        "Aftercart Market Brooklyn Heights",
        "140 Montague St",
        "Brooklyn",
        "NY",
        "11201",
        40.6946,
        -73.9937,
        "true",
        "true",
    ),
    (
        "bk-williamsburg",
        "Aftercart Market Williamsburg",
        "250 Bedford Ave",
        "Brooklyn",
        "NY",
        "11249",
        40.7163,
        -73.9612,
        "false",
        "true",
    ),
    (
        "chi-lincoln-park",
        "Aftercart Market Lincoln Park",
        "2500 N Clark St",
        "Chicago",
        "IL",
        "60614",
        41.9280,
        -87.6420,
        "true",
        "true",
    ),
    (
        "chi-loop",
        "Aftercart Express Loop",
        "120 S State St",
        "Chicago",
        "IL",
        "60603",
        41.8800,
        -87.6277,
        "true",
        "false",
    ),
]


def upc(prefix: str, item: int) -> str:
    body = f"{prefix}{item:05d}"
    return body + ean.calc_check_digit(body)


def lines(block: str) -> list[list[str]]:
    return [line.split("|") for line in block.strip().splitlines()]


def products() -> list[list[str]]:
    extra_rrc = {(aisle, index): rrc for aisle, index, rrc in ALSO_RRC}
    rows = []
    for aisle, block in PACKAGED.items():
        for index, (name, size, price) in enumerate(lines(block)):
            code = upc(PREFIXES[aisle], 10 * (index + 1))
            rows.append([code, extra_rrc.get((aisle, index), ""), name, size, price])
    for rrc, name, size, price in lines(BY_WEIGHT_RRC) + lines(EACH_RRC):
        rows.append(["", rrc, name, size, price])
    return rows


def write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {path}", file=sys.stderr)


if __name__ == "__main__":
    write(OUT / "products.csv", ["upc", "rrc", "name", "size", "unit_price"], products())
    store_header = ["location_code", "name", "address_line_1", "city", "state", "postal_code"]
    store_header += ["latitude", "longitude", "pickup", "delivery"]
    write(OUT / "stores.csv", store_header, [[str(v) for v in store] for store in STORES])
